/**
 * Pareto/NBD: Schmittlein, Morrison & Colombo (1987), "Counting Your Customers: Who Are They and
 * What Will They Do Next?", Management Science 33(1):1–24; likelihood and expressions as in
 * Fader & Hardie (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions"
 * (brucehardie.com note 009), and Fader, Hardie & Lee (2005), JMR 42(4) appendix.
 *
 * While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); their lifetime is
 * Exponential(μ) with μ ~ Gamma(s, β). Parameters (r, α, s, β).
 *
 * Likelihood (note 009, §2), written with the integral it comes from:
 *
 *   L = Γ(r+x) αʳ βˢ / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ ]
 *
 * and ∫_t^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ = J(t)/(r+s+x) with (note 009, the "A₀" term)
 *   J(t) = ₂F₁(r+s+x, s+1; r+s+x+1; (α−β)/(α+t)) / (α+t)^(r+s+x)   if α ≥ β
 *   J(t) = ₂F₁(r+s+x, r+x; r+s+x+1; (β−α)/(β+t)) / (β+t)^(r+s+x)   if α < β.
 * We sum each ₂F₁ after Euler's transformation, ₂F₁(A, B; A+1; z) = (1−z)^(1−B) S(A+1−B, A+1; z)
 * with S(P, Q; z) = Σ_k (P)_k/(Q)_k zᵏ, whose terms are all positive and shrink at least as fast
 * as zᵏ. The parameter derivatives of S are summed alongside it (analytic gradient).
 */
import { outsideLogDomain } from './optimize';
import type { CompressedRfm } from './rfm';
import { lgamma, log1mExp, logAddExp, risingLogSums } from './special';

export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

const MAX_TERMS = 100_000;
/** Above this z the series converges slowly; the near part of the integral is done by quadrature. */
const Z_SPLIT = 0.9;

/**
 * ln I(t) = ln ∫_t^∞ (α+τ)^−(r+x) (β+τ)^−(s+1) dτ and its partial derivatives with respect to
 * (r, α, s, β), written into out[0..4]. out[0] is NaN if it could not be computed.
 *
 * When z = |α−β|/(max(α,β)+t) ≤ 0.9 the hypergeometric series converges in at most a few
 * hundred terms. Beyond (one of α, β much larger than the other plus t, as in degenerate fits
 * where β → ∞), we split at t₁ where z = 0.9: I(t) = ∫_t^{t₁} … dτ + I(t₁), the first part by
 * Gauss–Legendre quadrature in u = ln(min(α,β)+τ), the second by the series. Both parts are
 * positive, so nothing cancels. (The split point's dependence on the parameters cancels in the
 * derivative, since d/dt₁ of the sum is zero.)
 */
export function paretoLogTailIntegral(r: number, alpha: number, s: number, beta: number, x: number, t: number, out: Float64Array): void {
  const big = Math.max(alpha, beta);
  const small = Math.min(alpha, beta);
  const z = (big - small) / (big + t);
  if (z <= Z_SPLIT) {
    seriesLogTail(r, alpha, s, beta, x, t, out);
    return;
  }
  const t1 = (big - small) / Z_SPLIT - big;
  seriesLogTail(r, alpha, s, beta, x, t1, out);
  if (Number.isNaN(out[0]!)) return;
  const q = QUAD_SCRATCH;
  quadratureLogNear(r, alpha, s, beta, x, t, t1, q);
  if (Number.isNaN(q[0]!)) {
    out[0] = NaN;
    return;
  }
  // Combine I = Q + I(t₁) in logs; gradients of ln I are the value-weighted mix.
  const lnQ = q[0]!;
  const lnI1 = out[0]!;
  const m = Math.max(lnQ, lnI1);
  const wq = Math.exp(lnQ - m);
  const w1 = Math.exp(lnI1 - m);
  const tot = wq + w1;
  out[0] = m + Math.log(tot);
  for (let k = 1; k <= 4; k++) out[k] = (wq * q[k]! + w1 * out[k]!) / tot;
}

const QUAD_SCRATCH = new Float64Array(5);

/** 16-point Gauss–Legendre nodes and weights on [−1, 1] (Newton's method on P₁₆). */
const GL = ((n: number) => {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let xk = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = xk;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * xk * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (xk * p1 - p0)) / (xk * xk - 1);
      const dx = p1 / dp;
      xk -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes[i] = xk;
    weights[i] = 2 / ((1 - xk * xk) * dp * dp);
  }
  return { nodes, weights };
})(16);

/**
 * ln ∫_t^{t₁} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ and the derivatives of that log with respect to
 * (r, α, s, β), by composite 16-point Gauss–Legendre in u = ln(min(α,β)+τ). In u the integrand
 * is log-concave with slope between −(A₂−1) and −(A₁+A₂−1) (A₁, A₂ the exponents of the larger
 * and smaller shift), so panels of width ≤ 6/slope integrate it to near machine precision; we
 * stop early once the remaining part is negligible.
 */
function quadratureLogNear(r: number, alpha: number, s: number, beta: number, x: number, t: number, t1: number, out: Float64Array): void {
  const aGeB = alpha >= beta;
  const big = aGeB ? alpha : beta;
  const small = aGeB ? beta : alpha;
  const A1 = aGeB ? r + x : s + 1; // exponent on (big + τ)
  const A2 = aGeB ? s + 1 : r + x; // exponent on (small + τ)
  const d = big - small;
  const u0 = Math.log(small + t);
  const u1 = Math.log(small + t1);
  if (!(u1 > u0)) {
    out[0] = -Infinity;
    out[1] = out[2] = out[3] = out[4] = 0;
    return;
  }
  // ln of integrand × Jacobian e^u: h(u) = −A1 ln(d + eᵘ) − (A2 − 1) u. Its maximum on [u0, u1]:
  const h = (u: number): number => -A1 * Math.log(d + Math.exp(u)) - (A2 - 1) * u;
  let uStar = u0;
  if (A2 < 1) {
    const e = (-(A2 - 1) * d) / (A1 + A2 - 1);
    if (e > 0) uStar = Math.min(u1, Math.max(u0, Math.log(e)));
  }
  const H = Math.max(h(u0), h(uStar));
  // h′(u) = −A1·eᵘ/(d+eᵘ) − (A2−1) is monotone (h is concave), so over a panel [a, a+w] the
  // largest |h′| is at one of its ends. Panels are sized so that |h′|·w ≤ 6 (the integrand
  // changes by at most e⁶ across a panel, which 16-point Gauss–Legendre integrates to ~1e-16).
  const slopeAt = (u: number): number => {
    const e = Math.exp(u);
    return (A1 * e) / (d + e) + (A2 - 1);
  };
  let S = 0;
  let gA1 = 0; // Σ f · (−ln(big+τ))
  let gA2 = 0; // Σ f · (−ln(small+τ))
  let gBig = 0; // Σ f · (−A1/(big+τ))
  let gSmall = 0; // Σ f · (−A2/(small+τ))
  let a = u0;
  for (let panel = 0; a < u1; panel++) {
    if (panel > 100_000) {
      out[0] = NaN;
      return;
    }
    let w = Math.min(1, u1 - a, 6 / Math.max(Math.abs(slopeAt(a)), 1e-3));
    while (w * Math.abs(slopeAt(a + w)) > 6 && w > 1e-300) w /= 2;
    if (u1 - a - w < 1e-12 * Math.max(1, Math.abs(u1))) w = u1 - a;
    const mid = a + w / 2;
    for (let i = 0; i < 16; i++) {
      const u = mid + (w / 2) * GL.nodes[i]!;
      const eu = Math.exp(u);
      const lBig = Math.log(d + eu);
      const v = Math.exp(-A1 * lBig - (A2 - 1) * u - H) * GL.weights[i]! * (w / 2);
      S += v;
      gA1 -= v * lBig;
      gA2 -= v * u;
      gBig -= (v * A1) / (d + eu);
      gSmall -= (v * A2) / eu;
    }
    a += w;
    // Past its maximum the integrand g = eʰ only falls, and being log-concave it falls at least
    // as fast as the exponential with its current slope: the rest is ≤ g(u)/|h′(u)|.
    if (a > uStar && a < u1) {
      const slopeEnd = slopeAt(a);
      if (slopeEnd > 0 && Math.exp(h(a) - H) / slopeEnd < 1e-17 * S) break;
    }
  }
  if (!(S > 0) || !Number.isFinite(S)) {
    out[0] = NaN;
    return;
  }
  out[0] = H + Math.log(S);
  const gr = aGeB ? gA1 : gA2;
  const gs = aGeB ? gA2 : gA1;
  const ga = aGeB ? gBig : gSmall;
  const gb = aGeB ? gSmall : gBig;
  out[1] = gr / S;
  out[2] = ga / S;
  out[3] = gs / S;
  out[4] = gb / S;
}

/** The series evaluation of ln I(t) and its gradient (see the file comment). */
function seriesLogTail(r: number, alpha: number, s: number, beta: number, x: number, t: number, out: Float64Array): void {
  const rsx = r + s + x;
  const Q = rsx + 1;
  const aGeB = alpha >= beta;
  const P = aGeB ? r + x : s + 1;
  const big = aGeB ? alpha + t : beta + t;
  const small = aGeB ? beta + t : alpha + t;
  const z = (aGeB ? alpha - beta : beta - alpha) / big;
  // S = Σ c_k, c_0 = 1, c_{k+1} = c_k (P+k)/(Q+k) z; SP = ∂S/∂P; SQ = ∂S/∂Q; Sz = ∂S/∂z.
  let c = 1;
  let S = 1;
  let hP = 0;
  let hQ = 0;
  let SP = 0;
  let SQ = 0;
  let Sz = 0;
  let converged = z === 0;
  if (z === 0) Sz = P / Q;
  for (let k = 0; k < MAX_TERMS && !converged; k++) {
    const cOverZ = (c * (P + k)) / (Q + k); // c_{k+1} / z
    Sz += (k + 1) * cOverZ;
    c = cOverZ * z;
    hP += 1 / (P + k);
    hQ += 1 / (Q + k);
    S += c;
    SP += c * hP;
    SQ -= c * hQ;
    // Tail after term k+1 is below c·z/(1−z); its derivative sums carry at most a log factor.
    if (c * (k + 2) * (1 + hP + hQ) <= 1e-17 * (1 - z) * S) converged = true;
  }
  if (!converged) {
    out[0] = NaN;
    return;
  }
  const lnBig = Math.log(big);
  const lnSmall = Math.log(small);
  const invS = 1 / S;
  const lnRsx = Math.log(rsx);
  if (aGeB) {
    // ln J = −s ln(β+t) − (r+x) ln(α+t) + ln S(r+x, r+s+x+1; (α−β)/(α+t)).
    out[0] = -s * lnSmall - (r + x) * lnBig + Math.log(S) - lnRsx;
    out[1] = -lnBig + (SP + SQ) * invS - 1 / rsx; // ∂/∂r: P and Q both contain r
    out[2] = -(r + x) / big + Sz * invS * (small / (big * big)); // ∂z/∂α = (β+t)/(α+t)²
    out[3] = -lnSmall + SQ * invS - 1 / rsx; // ∂/∂s
    out[4] = -s / small - Sz * invS / big; // ∂z/∂β = −1/(α+t)
  } else {
    // ln J = −(r+x−1) ln(α+t) − (s+1) ln(β+t) + ln S(s+1, r+s+x+1; (β−α)/(β+t)).
    out[0] = -(r + x - 1) * lnSmall - (s + 1) * lnBig + Math.log(S) - lnRsx;
    out[1] = -lnSmall + SQ * invS - 1 / rsx;
    out[2] = -(r + x - 1) / small - Sz * invS / big; // ∂z/∂α = −1/(β+t)
    out[3] = -lnBig + (SP + SQ) * invS - 1 / rsx;
    out[4] = -(s + 1) / big + Sz * invS * (small / (big * big)); // ∂z/∂β = (α+t)/(β+t)²
  }
}

/**
 * ln of the bracket [ (α+T)^−(r+x)(β+T)^−s + s ∫_{t_x}^T … ] and P(alive), the share of the
 * first term (Schmittlein et al. 1987; note 009, P(alive)).
 */
function logBracket(p: ParetoNbdParams, x: number, tx: number, T: number): { lnBracket: number; pAlive: number } {
  const { r, alpha, s, beta } = p;
  const lE1 = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  if (tx >= T) return { lnBracket: lE1, pAlive: 1 };
  const ix = new Float64Array(5);
  const iT = new Float64Array(5);
  paretoLogTailIntegral(r, alpha, s, beta, x, tx, ix);
  paretoLogTailIntegral(r, alpha, s, beta, x, T, iT);
  const lD = ix[0]! + log1mExp(Math.min(0, iT[0]! - ix[0]!));
  const l2 = Math.log(s) + lD;
  const lnBracket = logAddExp(lE1, l2);
  return { lnBracket, pAlive: Math.exp(lE1 - lnBracket) };
}

/** ln L(r, α, s, β | x, t_x, T) for one customer. */
export function paretoNbdLogLikelihood(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  return lgamma(r + x) - lgamma(r) + r * Math.log(alpha) + s * Math.log(beta) + logBracket(p, x, tx, T).lnBracket;
}

/** P(alive | x, t_x, T) (Schmittlein et al. 1987; note 009). */
export function paretoNbdPAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  return logBracket(p, x, tx, T).pAlive;
}

/** [1 − (u/(u+t))^(s−1)] / (s−1), and its limit ln((u+t)/u) at s = 1. */
function lifetimeFactor(s: number, u: number, t: number): number {
  const l = Math.log(u / (u + t));
  const e = s - 1;
  if (Math.abs(e * l) < 1e-12) return -l;
  return -Math.expm1(e * l) / e;
}

/** E[X(t)] for a new customer (SMC 1987; note 009): rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)]. */
export function paretoNbdExpectedPurchases(p: ParetoNbdParams, t: number): number {
  return ((p.r * p.beta) / p.alpha) * lifetimeFactor(p.s, p.beta, t);
}

/**
 * E[Y(t) | x, t_x, T] (SMC 1987; note 009, conditional expectation):
 *   P(alive) · (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)].
 */
export function paretoNbdConditionalExpectedPurchases(p: ParetoNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t === 0) return 0;
  const pa = paretoNbdPAlive(p, x, tx, T);
  return (pa * (p.r + x) * (p.beta + T)) / (p.alpha + T) * lifetimeFactor(p.s, p.beta + T, t);
}

/**
 * The fit objective on compressed rows: f(θ) = −LL/N with θ = ln(r, α, s, β), gradient into
 * `grad`. The tail integrals depend on (x, t) only, so they are computed once per distinct
 * (x, t_x) and (x, T) pair.
 */
export function paretoObjective(d: CompressedRfm): (theta: Float64Array, grad: Float64Array) => number {
  const nT = d.TValues.length;
  const nt = d.txValues.length;
  const nx = d.xValues.length;
  // Distinct (x, t) pairs for t ∈ {t_x} ∪ {T}, keyed exactly by their dictionary indices.
  const pairOf = new Map<number, number>();
  const pairX: number[] = [];
  const pairT: number[] = [];
  const rowPx = new Int32Array(d.rows);
  const rowPT = new Int32Array(d.rows);
  const pairId = (xi: number, tKey: number, t: number): number => {
    const key = xi * (nt + nT) + tKey;
    let id = pairOf.get(key);
    if (id === undefined) {
      id = pairX.length;
      pairOf.set(key, id);
      pairX.push(d.xValues[xi]!);
      pairT.push(t);
    }
    return id;
  };
  for (let i = 0; i < d.rows; i++) {
    const open = d.tx[i]! < d.T[i]!; // t_x = T leaves no interval to integrate over
    rowPx[i] = open ? pairId(d.xIndex[i]!, d.txIndex[i]!, d.tx[i]!) : -1;
    rowPT[i] = open ? pairId(d.xIndex[i]!, nt + d.TIndex[i]!, d.T[i]!) : -1;
  }
  const np = pairX.length;
  // Pairs grouped by x and sorted by t within a group, for the chained evaluation below.
  const order = Array.from({ length: np }, (_, q) => q).sort((p1, p2) => pairX[p1]! - pairX[p2]! || pairT[p1]! - pairT[p2]!);
  const groupStarts: number[] = [];
  for (let k = 0; k < np; k++) if (k === 0 || pairX[order[k]!] !== pairX[order[k - 1]!]) groupStarts.push(k);
  groupStarts.push(np);
  const pL = new Float64Array(np);
  const pG = new Float64Array(np * 4);
  const tmp = new Float64Array(5);
  const q5 = new Float64Array(5);
  const lAT = new Float64Array(nT);
  const lBT = new Float64Array(nT);
  const iAT = new Float64Array(nT);
  const iBT = new Float64Array(nT);
  const lgR = new Float64Array(nx);
  const dgR = new Float64Array(nx);
  const N = d.customers;

  const store = (q: number, v: Float64Array): void => {
    pL[q] = v[0]!;
    pG[4 * q] = v[1]!;
    pG[4 * q + 1] = v[2]!;
    pG[4 * q + 2] = v[3]!;
    pG[4 * q + 3] = v[4]!;
  };

  /**
   * ln I(t) for every pair. Where z ≤ 0.9 each pair is one series. Below the split point t₁,
   * pairs of one x are chained from the top down, I(t_k) = I(t_{k+1}) + ∫_{t_k}^{t_{k+1}}, so the
   * quadrature covers [t_min, t₁] once per x instead of once per pair.
   */
  const evaluatePairs = (r: number, alpha: number, s: number, beta: number): boolean => {
    const big = Math.max(alpha, beta);
    const small = Math.min(alpha, beta);
    const t1 = (big - small) / Z_SPLIT - big; // z(t) > Z_SPLIT exactly when t < t1
    for (let g = 0; g + 1 < groupStarts.length; g++) {
      const lo = groupStarts[g]!;
      const hi = groupStarts[g + 1]!;
      const x = pairX[order[lo]!]!;
      // Pairs at or above t1: series.
      let k = hi - 1;
      for (; k >= lo && pairT[order[k]!]! >= t1; k--) {
        seriesLogTail(r, alpha, s, beta, x, pairT[order[k]!]!, tmp);
        if (Number.isNaN(tmp[0]!)) return false;
        store(order[k]!, tmp);
      }
      if (k < lo) continue;
      // Chain below t1, starting from the series at t1.
      seriesLogTail(r, alpha, s, beta, x, t1, tmp);
      if (Number.isNaN(tmp[0]!)) return false;
      let upper = t1;
      for (; k >= lo; k--) {
        const t = pairT[order[k]!]!;
        if (t < upper) {
          quadratureLogNear(r, alpha, s, beta, x, t, upper, q5);
          if (Number.isNaN(q5[0]!)) return false;
          if (q5[0]! > -Infinity) {
            const m = Math.max(q5[0]!, tmp[0]!);
            const wq = Math.exp(q5[0]! - m);
            const wi = Math.exp(tmp[0]! - m);
            const tot = wq + wi;
            tmp[0] = m + Math.log(tot);
            for (let c = 1; c <= 4; c++) tmp[c] = (wq * q5[c]! + wi * tmp[c]!) / tot;
          }
          upper = t;
        }
        store(order[k]!, tmp);
      }
    }
    return true;
  };

  return (theta: Float64Array, grad: Float64Array): number => {
    if (outsideLogDomain(theta)) {
      grad.fill(NaN);
      return NaN;
    }
    const r = Math.exp(theta[0]!);
    const alpha = Math.exp(theta[1]!);
    const s = Math.exp(theta[2]!);
    const beta = Math.exp(theta[3]!);
    const lnAlpha = theta[1]!;
    const lnBeta = theta[3]!;
    const lnS = theta[2]!;
    if (!evaluatePairs(r, alpha, s, beta)) {
      grad.fill(NaN);
      return NaN;
    }
    for (let i = 0; i < nT; i++) {
      const at = alpha + d.TValues[i]!;
      const bt = beta + d.TValues[i]!;
      lAT[i] = Math.log(at);
      lBT[i] = Math.log(bt);
      iAT[i] = 1 / at;
      iBT[i] = 1 / bt;
    }
    risingLogSums(r, d.xValues, lgR, dgR);
    let ll = 0;
    let gr = 0;
    let ga = 0;
    let gs = 0;
    let gb = 0;
    for (let i = 0; i < d.rows; i++) {
      const w = d.weight[i]!;
      const xj = d.xIndex[i]!;
      const Ti = d.TIndex[i]!;
      const rx = r + d.x[i]!;
      const lE1 = -rx * lAT[Ti]! - s * lBT[Ti]!;
      // ∇ lE1
      const e1r = -lAT[Ti]!;
      const e1a = -rx * iAT[Ti]!;
      const e1s = -lBT[Ti]!;
      const e1b = -s * iBT[Ti]!;
      let lBr = lE1;
      let dr = e1r;
      let da = e1a;
      let ds = e1s;
      let db = e1b;
      const px = rowPx[i]!;
      if (px >= 0) {
        const pT = rowPT[i]!;
        const lIx = pL[px]!;
        const lIT = pL[pT]!;
        const lD = lIx + log1mExp(Math.min(0, lIT - lIx));
        lBr = logAddExp(lE1, lnS + lD);
        const w1 = Math.exp(lE1 - lBr);
        const ex = Math.exp(lnS + lIx - lBr);
        const eT = Math.exp(lnS + lIT - lBr);
        const wD = Math.exp(lnS + lD - lBr);
        dr = w1 * e1r + ex * pG[4 * px]! - eT * pG[4 * pT]!;
        da = w1 * e1a + ex * pG[4 * px + 1]! - eT * pG[4 * pT + 1]!;
        ds = w1 * e1s + wD / s + ex * pG[4 * px + 2]! - eT * pG[4 * pT + 2]!;
        db = w1 * e1b + ex * pG[4 * px + 3]! - eT * pG[4 * pT + 3]!;
      }
      ll += w * (lgR[xj]! + lBr);
      gr += w * (dgR[xj]! + dr);
      ga += w * da;
      gs += w * ds;
      gb += w * db;
    }
    ll += N * (r * lnAlpha + s * lnBeta);
    gr += N * lnAlpha;
    ga += (N * r) / alpha;
    gs += N * lnBeta;
    gb += (N * s) / beta;
    grad[0] = (-r * gr) / N;
    grad[1] = (-alpha * ga) / N;
    grad[2] = (-s * gs) / N;
    grad[3] = (-beta * gb) / N;
    return -ll / N;
  };
}

/** Total log-likelihood of compressed data. */
export function paretoNbdDataLogLikelihood(d: CompressedRfm, p: ParetoNbdParams): number {
  const f = paretoObjective(d);
  const theta = Float64Array.of(Math.log(p.r), Math.log(p.alpha), Math.log(p.s), Math.log(p.beta));
  return -f(theta, new Float64Array(4)) * d.customers;
}
