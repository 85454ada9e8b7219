/**
 * The NBD model (Ehrenberg 1959; Morrison & Schmittlein 1988): Poisson purchasing with
 * Gamma(r, α) heterogeneous rates and no dropout. It is the limit of BG/NBD (a → 0), MBG/NBD and
 * Pareto/NBD (s → 0) when nobody leaves, so the fits compare against it to tell whether the data
 * show any dropout at all.
 *
 *   ln L(r, α | x, T) = ln Γ(r+x) − ln Γ(r) + r ln α − (r+x) ln(α+T)
 */
import { outsideLogDomain } from './optimize';
import type { CompressedRfm } from './rfm';
import { risingLogSums } from './special';

export interface NbdParams {
  r: number;
  alpha: number;
}

/** f(θ) = −LL/N for θ = ln(r, α), with its gradient. */
export function nbdObjective(d: CompressedRfm): (theta: Float64Array, grad: Float64Array) => number {
  const nx = d.xValues.length;
  const nT = d.TValues.length;
  const lgR = new Float64Array(nx);
  const dgR = new Float64Array(nx);
  const LT = new Float64Array(nT);
  const iT = new Float64Array(nT);
  const N = d.customers;
  return (theta: Float64Array, grad: Float64Array): number => {
    if (outsideLogDomain(theta)) {
      grad.fill(NaN);
      return NaN;
    }
    const r = Math.exp(theta[0]!);
    const alpha = Math.exp(theta[1]!);
    const lnAlpha = theta[1]!;
    risingLogSums(r, d.xValues, lgR, dgR);
    for (let i = 0; i < nT; i++) {
      LT[i] = Math.log(alpha + d.TValues[i]!);
      iT[i] = 1 / (alpha + d.TValues[i]!);
    }
    let ll = 0;
    let gr = 0;
    let ga = 0;
    for (let i = 0; i < d.rows; i++) {
      const w = d.weight[i]!;
      const xj = d.xIndex[i]!;
      const ti = d.TIndex[i]!;
      const rx = r + d.x[i]!;
      ll += w * (lgR[xj]! - rx * LT[ti]!);
      gr += w * (dgR[xj]! - LT[ti]!);
      ga -= w * rx * iT[ti]!;
    }
    ll += N * r * lnAlpha;
    gr += N * lnAlpha;
    ga += (N * r) / alpha;
    grad[0] = (-r * gr) / N;
    grad[1] = (-alpha * ga) / N;
    return -ll / N;
  };
}
