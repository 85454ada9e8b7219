/**
 * Confidence intervals for comparing two reactivation rates. Score intervals rather than Wald:
 * reactivation rates are small and groups (a tier, an offer) are often a few dozen users, where the
 * Wald interval p ± z·√(p(1−p)/n) is too narrow and collapses to a point at 0 reactivations.
 *
 * - Wilson score interval for one proportion (Wilson 1927; Newcombe 1998a, method 3).
 * - Newcombe's hybrid score interval for a difference of independent proportions (Newcombe 1998b,
 *   "Interval estimation for the difference between independent proportions", Stat Med 17:873,
 *   method 10): Wilson limits of each rate combined by "square-and-add".
 * - Katz log interval for a risk ratio (Katz et al. 1978): ln(RR) ± z·√(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂);
 *   undefined when either arm has no events.
 */

/** z for a two-sided 95% interval: Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

export interface Estimate extends Interval {
  estimate: number;
}

/** Wilson score interval for x successes in n trials; undefined when n is 0. */
export function wilson(x: number, n: number, z = Z_95): Interval | undefined {
  checkCounts(x, n);
  if (n === 0) return undefined;
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((x * (n - x)) / n + z2 / 4)) / (n + z2);
  // Clamp rounding noise: at x = 0 the low limit is exactly 0 in exact arithmetic.
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** p₁ − p₂ with Newcombe's hybrid score interval (method 10); undefined when either arm is empty. */
export function newcombeDifference(x1: number, n1: number, x2: number, n2: number, z = Z_95): Estimate | undefined {
  const w1 = wilson(x1, n1, z);
  const w2 = wilson(x2, n2, z);
  if (!w1 || !w2) return undefined;
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const d = p1 - p2;
  return {
    estimate: d,
    low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
}

/**
 * Risk ratio p₁ / p₂ with the Katz log interval. Undefined when an arm is empty or has no events
 * (the ratio or its logarithm does not exist): the report then says "none" rather than inventing
 * a continuity-corrected figure.
 */
export function riskRatioKatz(x1: number, n1: number, x2: number, n2: number, z = Z_95): Estimate | undefined {
  checkCounts(x1, n1);
  checkCounts(x2, n2);
  if (n1 === 0 || n2 === 0 || x1 === 0 || x2 === 0) return undefined;
  const rr = x1 / n1 / (x2 / n2);
  const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2);
  return { estimate: rr, low: Math.exp(Math.log(rr) - z * se), high: Math.exp(Math.log(rr) + z * se) };
}

function checkCounts(x: number, n: number): void {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || n < 0 || x > n) {
    throw new RangeError(`need integers 0 ≤ x ≤ n, got x=${x}, n=${n}`);
  }
}
