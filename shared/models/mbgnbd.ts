/**
 * MBG/NBD: Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models
 * for customer base analysis", International Journal of Research in Marketing 24(3):201–209,
 * with the corrections of Wagner & Hoppe (2008), "Erratum on the MBG/NBD model", IJRM 25(3).
 *
 * Like BG/NBD, except a customer may also drop out right after the first purchase (at time 0),
 * so a customer with no repeat purchase is not certainly alive. Same parameters (r, α, a, b).
 * Expressions follow the lifetimes library's ModifiedBetaGeoFitter, which reproduces BTYDplus.
 */
import { aroundAEqualsOne, bgLogLikelihood, oneMinusPowHyp, type BgParams } from './bg-kernel';
import type { CompressedRfm } from './rfm';
import { lbeta, lgamma, logAddExp } from './special';

export type MbgNbdParams = BgParams;

/**
 * ln L for one customer:
 *   Γ(r+x)αʳ/Γ(r) · [ B(a, b+x+1)/B(a,b) (α+T)^−(r+x) + B(a+1, b+x)/B(a,b) (α+t_x)^−(r+x) ].
 */
export function mbgnbdLogLikelihood(p: MbgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const a1 = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
  const a2 = lbeta(a, b + x + 1) - lbeta(a, b);
  const a3 = -(r + x) * Math.log(alpha + T);
  const a4 = Math.log(a) - Math.log(b + x) - (r + x) * Math.log(alpha + tx);
  return a1 + a2 + logAddExp(a3, a4);
}

/** Total log-likelihood of compressed data. */
export function mbgnbdDataLogLikelihood(data: CompressedRfm, p: MbgNbdParams): number {
  return bgLogLikelihood(data, p, 'mbgnbd');
}

/** P(alive | x, t_x, T) = 1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x)), for every x including 0. */
export function mbgnbdPAlive(p: MbgNbdParams, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const logOdds = Math.log(a) - Math.log(b + x) + (r + x) * Math.log((alpha + T) / (alpha + tx));
  return logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
}



/** E[X(t)] for a new customer: b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]. */
export function mbgnbdExpectedPurchases(p: MbgNbdParams, t: number): number {
  if (t === 0) return 0;
  const { r, alpha, b } = p;
  return aroundAEqualsOne(p.a, (a) => (b / (a - 1)) * oneMinusPowHyp(r * Math.log(alpha / (alpha + t)), r, b + 1, a + b, t / (alpha + t)));
}

/**
 * E[Y(t) | x, t_x, T]:
 *   (a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))]
 *   / [1 + a/(b+x) ((α+T)/(α+t_x))^(r+x)].
 */
export function mbgnbdConditionalExpectedPurchases(p: MbgNbdParams, t: number, x: number, tx: number, T: number): number {
  if (t === 0) return 0;
  const { r, alpha, b } = p;
  return aroundAEqualsOne(p.a, (a) => {
    const second = oneMinusPowHyp((r + x) * Math.log((alpha + T) / (alpha + T + t)), r + x, b + x + 1, a + b + x, t / (alpha + T + t));
    const numerator = ((a + b + x) / (a - 1)) * second;
    const logOdds = Math.log(a) - Math.log(b + x) + (r + x) * Math.log((alpha + T) / (alpha + tx));
    return logOdds > 0 ? (numerator * Math.exp(-logOdds)) / (1 + Math.exp(-logOdds)) : numerator / (1 + Math.exp(logOdds));
  });
}
