/**
 * BG/NBD: Fader, Hardie & Lee (2005), "'Counting Your Customers' the Easy Way: An Alternative to
 * the Pareto/NBD Model", Marketing Science 24(2):275–284. Equation numbers below are the paper's.
 *
 * While active, a customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each
 * repeat purchase they drop out with probability p ~ Beta(a, b). Time is in the data's unit
 * (weeks for CDNOW).
 */
import { aroundAEqualsOne, bgLogLikelihood, oneMinusPowHyp, type BgParams } from './bg-kernel';
import type { CompressedRfm } from './rfm';
import { lbeta, lgamma, logAddExp } from './special';

export type BgNbdParams = BgParams;

/**
 * ln L(r, α, a, b | x, t_x, T) for one customer (eq. 6), with special functions; the fit uses
 * the equivalent compressed kernel in bg-kernel.ts.
 */
export function bgnbdLogLikelihood(p: BgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const a1 = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
  const a2 = lbeta(a, b + x) - lbeta(a, b);
  const a3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return a1 + a2 + logAddExp(a3, a4);
}

/** Total log-likelihood of compressed data. */
export function bgnbdDataLogLikelihood(data: CompressedRfm, p: BgNbdParams): number {
  return bgLogLikelihood(data, p, 'bgnbd');
}

/**
 * P(alive | x, t_x, T) (Fader, Hardie & Lee, "Computing P(alive) Using the BG/NBD Model", 2008,
 * brucehardie.com note 021):
 *   1 / (1 + δ_{x>0} · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
 * A customer with no repeat purchase has P(alive) = 1: in BG/NBD dropout happens only right after
 * a repeat purchase (the MBG/NBD removes this artefact).
 */
export function bgnbdPAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const { r, alpha, a, b } = p;
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * Math.log((alpha + T) / (alpha + tx));
  return logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
}



/**
 * E[X(t)], expected repeat purchases in (0, t] for a new customer (eq. 9):
 *   (a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))].
 */
export function bgnbdExpectedPurchases(p: BgNbdParams, t: number): number {
  if (t === 0) return 0;
  const { r, alpha, b } = p;
  return aroundAEqualsOne(p.a, (a) => {
    const second = oneMinusPowHyp(r * Math.log(alpha / (alpha + t)), r, b, a + b - 1, t / (alpha + t));
    return ((a + b - 1) / (a - 1)) * second;
  });
}

/**
 * E[Y(t) | x, t_x, T], expected purchases in (T, T+t] for a customer with history (x, t_x, T)
 * (eq. 10):
 *   (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
 *   / [1 + δ_{x>0} a/(b+x−1) ((α+T)/(α+t_x))^(r+x)].
 */
export function bgnbdConditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t === 0) return 0;
  const { r, alpha, b } = p;
  return aroundAEqualsOne(p.a, (a) => {
    const second = oneMinusPowHyp((r + x) * Math.log((alpha + T) / (alpha + T + t)), r + x, b + x, a + b + x - 1, t / (alpha + T + t));
    const numerator = ((a + b + x - 1) / (a - 1)) * second;
    if (x === 0) return numerator;
    const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * Math.log((alpha + T) / (alpha + tx));
    // numerator / (1 + e^logOdds), without overflow for large logOdds.
    return logOdds > 0 ? (numerator * Math.exp(-logOdds)) / (1 + Math.exp(-logOdds)) : numerator / (1 + Math.exp(logOdds));
  });
}

/**
 * P(X(t) = n) for a new customer (eq. 8):
 *   B(a, b+n)/B(a, b) · Γ(r+n)/(Γ(r) n!) · (α/(α+t))^r (t/(α+t))^n
 *   + δ_{n>0} B(a+1, b+n−1)/B(a, b) · [1 − (α/(α+t))^r Σ_{j<n} Γ(r+j)/(Γ(r) j!) (t/(α+t))^j].
 */
export function bgnbdProbabilityOfPurchases(p: BgNbdParams, t: number, n: number): number {
  const { r, alpha, a, b } = p;
  const lu = Math.log(alpha / (alpha + t));
  const lv = Math.log(t / (alpha + t));
  const nbd = (j: number): number => Math.exp(lgamma(r + j) - lgamma(r) - lgamma(j + 1) + r * lu + (j > 0 ? j * lv : 0));
  const first = Math.exp(lbeta(a, b + n) - lbeta(a, b)) * nbd(n);
  if (n === 0) return first;
  let cum = 0;
  for (let j = 0; j < n; j++) cum += nbd(j);
  return first + Math.exp(lbeta(a + 1, b + n - 1) - lbeta(a, b)) * (1 - cum);
}
