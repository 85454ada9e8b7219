/**
 * Gamma-Gamma spend model: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves for
 * Customer Base Analysis", Journal of Marketing Research 42(4):415–430, §"Adding monetary value";
 * Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value" (brucehardie.com note 025).
 *
 * A customer's transaction values are i.i.d. Gamma(p, ν) (shape p, rate ν), and ν ~ Gamma(q, γ)
 * across customers (shape q, rate γ). The model uses only customers with x ≥ 1 repeat
 * transactions and m_x, the mean of those x values; it assumes spend is independent of the
 * transaction process.
 */
import { outsideLogDomain } from './optimize';
import type { CompressedSpend } from './rfm';
import { digamma, lgamma } from './special';

export interface GammaGammaParams {
  p: number;
  q: number;
  /** γ (lifetimes calls it v). */
  gamma: number;
}

/**
 * ln f(m_x | p, q, γ; x), the density of the *average* spend (note 025, as lifetimes and BTYD
 * compute it):
 *   ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m_x + px ln x − (px+q) ln(γ + x m_x).
 * The density of the *total* spend z = x·m_x differs by −ln x (JMR 2005 reports that form).
 */
export function gammaGammaLogLikelihood(g: GammaGammaParams, x: number, mx: number): number {
  const { p, q, gamma } = g;
  const px = p * x;
  return lgamma(px + q) - lgamma(px) - lgamma(q) + q * Math.log(gamma) + (px - 1) * Math.log(mx) + px * Math.log(x) - (px + q) * Math.log(gamma + x * mx);
}

/**
 * E(M | p, q, γ, m_x, x) = (γ + x·m_x)·p / (p·x + q − 1) (note 025; FHL 2005 JMR): a
 * weighted average of the population mean pγ/(q−1) and the customer's own m_x, with weight
 * px/(px+q−1) on m_x. For x = 0 it is the population mean. Needs q > 1 (else the mean is infinite).
 */
export function gammaGammaExpectedAverageSpend(g: GammaGammaParams, x: number, mx: number): number {
  const { p, q, gamma } = g;
  if (x <= 0) return (p * gamma) / (q - 1);
  return (p * (gamma + x * mx)) / (p * x + q - 1);
}

/** The population mean spend per transaction, E(Z) = pγ/(q−1) (infinite if q ≤ 1). */
export function gammaGammaPopulationMean(g: GammaGammaParams): number {
  return g.q > 1 ? (g.p * g.gamma) / (g.q - 1) : Infinity;
}

/**
 * Objective for the fit on spend grouped by x: f(θ) = −LL/N with θ = ln(p, q, γ), gradient into
 * `grad`. Per distinct x the gamma functions are evaluated once; per customer only ln(γ + x·m_x)
 * and its reciprocal.
 */
export function gammaGammaObjective(d: CompressedSpend): (theta: Float64Array, grad: Float64Array) => number {
  const G = d.xValues.length;
  const N = d.customers;
  const lnX = new Float64Array(G);
  for (let g = 0; g < G; g++) lnX[g] = Math.log(d.xValues[g]!);
  return (theta: Float64Array, grad: Float64Array): number => {
    if (outsideLogDomain(theta)) {
      grad.fill(NaN);
      return NaN;
    }
    const p = Math.exp(theta[0]!);
    const q = Math.exp(theta[1]!);
    const gm = Math.exp(theta[2]!);
    const lnG = theta[2]!;
    const lgq = lgamma(q);
    const dgq = digamma(q);
    let ll = 0;
    let gp = 0;
    let gq = 0;
    let gg = 0;
    for (let g = 0; g < G; g++) {
      const x = d.xValues[g]!;
      const n = d.groupCount[g]!;
      const px = p * x;
      let sumLog = 0;
      let sumInv = 0;
      const end = d.groupStart[g + 1]!;
      for (let i = d.groupStart[g]!; i < end; i++) {
        const v = gm + d.totalSpend[i]!;
        sumLog += Math.log(v);
        sumInv += 1 / v;
      }
      const dgpxq = digamma(px + q);
      ll += n * (lgamma(px + q) - lgamma(px) - lgq + q * lnG + px * lnX[g]!) + (px - 1) * d.groupSumLogM[g]! - (px + q) * sumLog;
      gp += x * (n * (dgpxq - digamma(px) + lnX[g]!) + d.groupSumLogM[g]! - sumLog);
      gq += n * (dgpxq - dgq + lnG) - sumLog;
      gg += (n * q) / gm - (px + q) * sumInv;
    }
    grad[0] = (-p * gp) / N;
    grad[1] = (-q * gq) / N;
    grad[2] = (-gm * gg) / N;
    return -ll / N;
  };
}

/** Total log-likelihood (average-spend form) of grouped spend data. */
export function gammaGammaDataLogLikelihood(d: CompressedSpend, g: GammaGammaParams): number {
  const f = gammaGammaObjective(d);
  return -f(Float64Array.of(Math.log(g.p), Math.log(g.q), Math.log(g.gamma)), new Float64Array(3)) * d.customers;
}

/** Σ ln x over the customers, to convert the average-spend LL to the total-spend form. */
export function sumLogX(d: CompressedSpend): number {
  let s = 0;
  for (let g = 0; g < d.xValues.length; g++) s += d.groupCount[g]! * Math.log(d.xValues[g]!);
  return s;
}
