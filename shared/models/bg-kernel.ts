/**
 * The likelihood kernel shared by BG/NBD and MBG/NBD, on compressed (x, t_x, T) rows, with its
 * analytic gradient in log-parameter space. This is the hot path of every fit.
 *
 * Both models' individual likelihoods have the form (FHL 2005 eq. 6; Batislam et al. 2007 eq. 4)
 *
 *   L = Γ(r+x) αʳ / Γ(r) · B(a, b+x+o) / B(a, b) · [ (α+T)^−(r+x) + δ · c · (α+t_x)^−(r+x) ]
 *
 * with c = a / (b+x+o−1), and
 *   BG/NBD:  o = 0, δ = 1 if x > 0 else 0   (a customer can only drop out after a repeat purchase)
 *   MBG/NBD: o = 1, δ = 1                   (a customer can also drop out right after the first)
 * since B(a+1, b+x+o−1) / B(a, b+x+o) = a / (b+x+o−1).
 *
 * For integer x the gamma and beta ratios are finite products, so no special functions are
 * needed in the hot path and nothing cancels catastrophically even when b is huge:
 *   ln Γ(r+x) − ln Γ(r)               = Σ_{k<x}   ln(r+k)
 *   ln B(a, b+x+o) − ln B(a, b)        = Σ_{k<x+o} ln((b+k)/(a+b+k)) = −Σ log1p(a/(b+k))
 * They depend on x alone and are computed once per distinct x per evaluation, as are ln(α+T)
 * and ln(α+t_x) per distinct T and t_x. Each compressed row then costs one exp and one log1p.
 */
import { outsideLogDomain } from './optimize';
import type { CompressedRfm } from './rfm';
import { hyp2f1Log, risingLogSums } from './special';

export type BgVariant = 'bgnbd' | 'mbgnbd';

/** (r, α, a, b) as a plain tuple. */
export interface BgParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Precomputed, parameter-free parts of the data for the kernel. */
interface KernelData {
  d: CompressedRfm;
  /** Σ weight per distinct x. */
  wByX: Float64Array;
  /** Number of beta-sum terms per distinct x: x + o. */
  nBeta: Float64Array;
  /** Whether the second (dropout-at-t_x) term exists for each distinct x. */
  hasSecond: Uint8Array;
  maxX: number;
  maxBeta: number;
}

function prepare(d: CompressedRfm, variant: BgVariant): KernelData {
  const o = variant === 'mbgnbd' ? 1 : 0;
  const nx = d.xValues.length;
  const wByX = new Float64Array(nx);
  for (let i = 0; i < d.rows; i++) wByX[d.xIndex[i]!] = wByX[d.xIndex[i]!]! + d.weight[i]!;
  const nBeta = new Float64Array(nx);
  const hasSecond = new Uint8Array(nx);
  for (let j = 0; j < nx; j++) {
    nBeta[j] = d.xValues[j]! + o;
    hasSecond[j] = d.xValues[j]! > 0 || o === 1 ? 1 : 0;
  }
  const maxX = nx > 0 ? d.xValues[nx - 1]! : 0;
  return { d, wByX, nBeta, hasSecond, maxX, maxBeta: maxX + o };
}

/**
 * Returns the objective for the fit: f(θ) = −LL(exp θ) / N with θ = (ln r, ln α, ln a, ln b),
 * writing ∂f/∂θ into `grad`. N is the number of customers, so f is a per-customer average and
 * its gradient tolerance does not depend on the size of the data.
 */
export function bgObjective(data: CompressedRfm, variant: BgVariant): (theta: Float64Array, grad: Float64Array) => number {
  const k = prepare(data, variant);
  const d = k.d;
  const nx = d.xValues.length;
  const nt = d.txValues.length;
  const nT = d.TValues.length;
  // Per-evaluation scratch.
  const lgR = new Float64Array(nx); // Σ_{k<x} ln(r+k)
  const dgR = new Float64Array(nx); // Σ_{k<x} 1/(r+k)
  const lB = new Float64Array(nx); // Σ_{k<x+o} ln((b+k)/(a+b+k))
  const dBa = new Float64Array(nx); // ∂/∂a of lB
  const dBb = new Float64Array(nx); // ∂/∂b of lB
  const logC = new Float64Array(nx); // ln a − ln(b+x+o−1)
  const invBx = new Float64Array(nx); // 1/(b+x+o−1)
  const LT = new Float64Array(nT);
  const iT = new Float64Array(nT);
  const Lt = new Float64Array(nt);
  const it = new Float64Array(nt);
  const N = d.customers;

  return (theta: Float64Array, grad: Float64Array): number => {
    if (outsideLogDomain(theta)) {
      grad.fill(NaN);
      return NaN;
    }
    const r = Math.exp(theta[0]!);
    const alpha = Math.exp(theta[1]!);
    const a = Math.exp(theta[2]!);
    const b = Math.exp(theta[3]!);
    const lnAlpha = theta[1]!;
    const lnA = theta[2]!;

    // Per distinct x: running sums over k, snapshotted at each distinct x (xValues is sorted).
    risingLogSums(r, d.xValues, lgR, dgR);
    {
      let sB = 0;
      let sBa = 0;
      let sBb = 0;
      let j = 0;
      for (let kk = 0; j < nx; kk++) {
        while (j < nx && k.nBeta[j]! === kk) {
          lB[j] = sB;
          dBa[j] = sBa;
          dBb[j] = sBb;
          j++;
        }
        if (j >= nx) break;
        const bk = b + kk;
        const abk = a + bk;
        sB -= Math.log1p(a / bk);
        sBa -= 1 / abk;
        sBb += a / (bk * abk);
      }
      for (j = 0; j < nx; j++) {
        const bx = b + k.nBeta[j]! - 1;
        logC[j] = lnA - Math.log(bx);
        invBx[j] = 1 / bx;
      }
    }
    for (let i = 0; i < nT; i++) {
      const v = alpha + d.TValues[i]!;
      LT[i] = Math.log(v);
      iT[i] = 1 / v;
    }
    for (let i = 0; i < nt; i++) {
      const v = alpha + d.txValues[i]!;
      Lt[i] = Math.log(v);
      it[i] = 1 / v;
    }

    // Row loop: ln[ (α+T)^−(r+x) + δ c (α+t_x)^−(r+x) ] and its partial derivatives.
    let ll = 0;
    let gR = 0; // Σ w ∂/∂r of the bracket
    let gAlpha = 0; // Σ w ∂/∂α of the bracket
    const x = d.x;
    const w = d.weight;
    const xIndex = d.xIndex;
    const TIndex = d.TIndex;
    const txIndex = d.txIndex;
    const hasSecond = k.hasSecond;
    let gBp4 = 0; // Σ w·p4/(b+x+o−1)
    let sumP4 = 0; // Σ w·p4
    for (let i = 0; i < d.rows; i++) {
      const wi = w[i]!;
      const j = xIndex[i]!;
      const ti = TIndex[i]!;
      const rx = r + x[i]!;
      const lT = LT[ti]!;
      const a3 = -rx * lT;
      if (hasSecond[j] === 1) {
        const si = txIndex[i]!;
        const lt = Lt[si]!;
        const a4 = logC[j]! - rx * lt;
        // lse = ln(e^a3 + e^a4); p4 = e^a4 / (e^a3 + e^a4). ln(1+e) has absolute error ~1e-16,
        // all that matters for a sum of logs, so Math.log is used rather than log1p.
        let lse: number;
        let p4: number;
        if (a4 > a3) {
          const e = Math.exp(a3 - a4);
          const s1 = 1 + e;
          lse = a4 + Math.log(s1);
          p4 = 1 / s1;
        } else {
          const e = Math.exp(a4 - a3);
          const s1 = 1 + e;
          lse = a3 + Math.log(s1);
          p4 = e / s1;
        }
        const p3 = 1 - p4;
        const wp4 = wi * p4;
        ll += wi * lse;
        gR -= wi * (p3 * lT + p4 * lt);
        gAlpha -= wi * rx * (p3 * iT[ti]! + p4 * it[si]!);
        sumP4 += wp4;
        gBp4 += wp4 * invBx[j]!;
      } else {
        ll += wi * a3;
        gR -= wi * lT;
        gAlpha -= wi * rx * iT[ti]!;
      }
    }
    // Add the per-x terms and the chain rule for c = a/(b+x+o−1).
    let gA = 0;
    let gB = -gBp4;
    for (let j = 0; j < nx; j++) {
      const wj = k.wByX[j]!;
      ll += wj * (lgR[j]! + r * lnAlpha + lB[j]!);
      gR += wj * (dgR[j]! + lnAlpha);
      gAlpha += (wj * r) / alpha;
      gA += wj * dBa[j]!;
      gB += wj * dBb[j]!;
    }
    gA += sumP4 / a;
    // θ-space gradient of the per-customer negative log-likelihood: ∂f/∂θ = −p·∂LL/∂p / N.
    grad[0] = (-r * gR) / N;
    grad[1] = (-alpha * gAlpha) / N;
    grad[2] = (-a * gA) / N;
    grad[3] = (-b * gB) / N;
    return -ll / N;
  };
}

/** Total log-likelihood of compressed data at the given parameters. */
export function bgLogLikelihood(data: CompressedRfm, params: BgParams, variant: BgVariant): number {
  const f = bgObjective(data, variant);
  const theta = Float64Array.of(Math.log(params.r), Math.log(params.alpha), Math.log(params.a), Math.log(params.b));
  return -f(theta, new Float64Array(4)) * data.customers;
}

/**
 * Evaluates g(a) = num(a)/(a−1) where num(1) = 0, smoothly at a = 1: the BG-family closed forms
 * for expected purchases have a removable singularity there. Within 1e-6 of a = 1 we interpolate
 * linearly between a = 1 ± 1e-5 (error O(1e-10) relative).
 */
export function aroundAEqualsOne(a: number, f: (a: number) => number): number {
  const h = 1e-5;
  if (Math.abs(a - 1) > 1e-6) return f(a);
  const lo = f(1 - h);
  const hi = f(1 + h);
  return lo + ((a - (1 - h)) / (2 * h)) * (hi - lo);
}

/** 1 − e^logPow · ₂F₁(A, B; C; z), as −expm1 of the log so small values keep their precision. */
export function oneMinusPowHyp(logPow: number, A: number, B: number, C: number, z: number): number {
  const h = hyp2f1Log(A, B, C, z);
  if (h.sign === 0) return Number.isNaN(h.logAbs) ? NaN : 1;
  if (h.sign > 0) return -Math.expm1(logPow + h.logAbs);
  return 1 + Math.exp(logPow + h.logAbs);
}
