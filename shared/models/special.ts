/**
 * Special functions for the buy-till-you-die models: log-gamma, digamma, stable log-sum-exp
 * helpers and the Gauss hypergeometric function 2F1 on 0 ≤ z < 1.
 *
 * Pure TypeScript, no dependencies. Accuracy targets: lgamma and digamma to ~1e-15 absolute for
 * moderate arguments; 2F1 to ~1e-14 relative where the series converges in under a million terms.
 */

const HALF_LN_2PI = 0.9189385332046727; // ½·ln(2π)

/**
 * ln Γ(x) for x > 0 (and, by reflection, for negative non-integers).
 *
 * For x < 15 the argument is shifted up with Γ(x) = Γ(x+n) / (x(x+1)…(x+n−1)); then Stirling's
 * series (Abramowitz & Stegun 6.1.40) to the x^−13 term, whose truncation error at x ≥ 15 is
 * below 1e-17.
 */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) {
    if (Number.isInteger(x)) return Infinity;
    // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lgamma(1 - x);
  }
  if (x === Infinity) return Infinity;
  let shift = 0;
  if (x < 15) {
    let prod = 1;
    while (x < 15) {
      prod *= x;
      x += 1;
    }
    shift = Math.log(prod);
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // Stirling series: Σ B_2k / (2k(2k−1) x^(2k−1)).
  const series =
    inv *
    (1 / 12 +
      inv2 *
        (-1 / 360 +
          inv2 *
            (1 / 1260 +
              inv2 * (-1 / 1680 + inv2 * (1 / 1188 + inv2 * (-691 / 360360 + inv2 * (1 / 156)))))));
  return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + series - shift;
}

/**
 * Digamma ψ(x) = d/dx ln Γ(x), for x > 0 (reflection for negative non-integers).
 * Recurrence ψ(x) = ψ(x+1) − 1/x up to x ≥ 10, then the asymptotic series (A&S 6.3.18).
 */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) {
    if (Number.isInteger(x)) return NaN;
    // ψ(1−x) − ψ(x) = π cot(πx).
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  }
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  const series =
    inv2 *
    (1 / 12 -
      inv2 *
        (1 / 120 -
          inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760 - inv2 / 12))))));
  return acc + Math.log(x) - 0.5 * inv - series;
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a+b). */
export function lbeta(a: number, b: number): number {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

/** ln(eᵃ + eᵇ) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** ln(eᵃ − eᵇ) for a ≥ b; −∞ when a = b. */
export function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  return a + log1mExp(b - a);
}

/** ln(1 − eˣ) for x ≤ 0, accurate at both ends (Mächler 2012, "Accurately computing log(1−exp(−|a|))"). */
export function log1mExp(x: number): number {
  if (x > 0) return NaN;
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/** ln Σ exp(values). */
export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (max === -Infinity || !Number.isFinite(max)) return max;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i]! - max);
  return max + Math.log(s);
}

/** A real number held as sign · exp(logAbs), so huge or tiny values keep their precision. */
export interface SignedLog {
  sign: -1 | 0 | 1;
  logAbs: number;
}

/**
 * Power series Σ_k (a)_k (b)_k / ((c)_k k!) zᵏ, summed with rescaling so large terms cannot
 * overflow. Returns NaN in logAbs when it fails to converge within `maxTerms`.
 */
function hypSeries(a: number, b: number, c: number, z: number, maxTerms: number): SignedLog {
  let term = 1;
  let sum = 1;
  let logScale = 0;
  for (let k = 0; k < maxTerms; k++) {
    const ratio = ((a + k) * (b + k)) / ((c + k) * (k + 1)) * z;
    if (ratio === 0) break; // a or b is a non-positive integer: the series terminates
    term *= ratio;
    sum += term;
    const absSum = Math.abs(sum);
    if (absSum > 1e250) {
      // Rescale: keep the magnitude in logScale.
      term /= absSum;
      sum /= absSum;
      logScale += Math.log(absSum);
    }
    // The term ratio tends to z < 1. Once it is below 1, the remaining tail is at most
    // |term|·ρ/(1−ρ) with ρ = max(|ratio|, z) (the ratio approaches z from above or below).
    const rho = Math.max(Math.abs(ratio), z);
    if (rho < 1 && k > 0) {
      const tail = (Math.abs(term) * rho) / (1 - rho);
      if (tail <= 1e-17 * Math.abs(sum)) {
        return toSignedLog(sum, logScale);
      }
    }
  }
  if (maxTerms > 0 && Math.abs(term) <= 1e-17 * Math.abs(sum)) return toSignedLog(sum, logScale);
  return { sign: 0, logAbs: NaN };
}

function toSignedLog(sum: number, logScale: number): SignedLog {
  if (sum === 0) return { sign: 0, logAbs: -Infinity };
  return { sign: sum > 0 ? 1 : -1, logAbs: Math.log(Math.abs(sum)) + logScale };
}

/**
 * Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z < 1, as sign and log-magnitude.
 *
 * Convergence care: the defining series converges for |z| < 1 but can need many terms, and its
 * terms can grow enormous first, when a·b/c is large (a customer with many purchases makes a, b
 * and c all large). Euler's transformation (A&S 15.3.3)
 *   ₂F₁(a, b; c; z) = (1 − z)^(c−a−b) ₂F₁(c−a, c−b; c; z)
 * turns those large numerator parameters into small ones, so we sum whichever series has the
 * smaller |a·b| (the growth rate of its early terms). Terms are rescaled to avoid overflow and the
 * series stops when a bound on its tail is below 1e-17 of the sum.
 */
export function hyp2f1Log(a: number, b: number, c: number, z: number, maxTerms = 1_000_000): SignedLog {
  if (!(z >= 0 && z < 1)) return { sign: 0, logAbs: NaN };
  if (z === 0) return { sign: 1, logAbs: 0 };
  if (c <= 0 && Number.isInteger(c)) return { sign: 0, logAbs: NaN };
  const ea = c - a;
  const eb = c - b;
  if (Math.abs(ea * eb) < Math.abs(a * b)) {
    const s = hypSeries(ea, eb, c, z, maxTerms);
    return { sign: s.sign, logAbs: s.logAbs + (c - a - b) * Math.log1p(-z) };
  }
  return hypSeries(a, b, c, z, maxTerms);
}

/** ₂F₁(a, b; c; z) for 0 ≤ z < 1 as a plain number (may overflow to ±Infinity). */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  const r = hyp2f1Log(a, b, c, z);
  return r.sign * Math.exp(r.logAbs);
}

/**
 * For each distinct count x (sorted ascending), ln Γ(r+x) − ln Γ(r) = Σ_{k<x} ln(r+k) into `lg`
 * and its derivative in r, Σ_{k<x} 1/(r+k), into `dg`: one pass of running sums, exact for
 * integer x, and cheaper than lgamma/digamma per row. Shared by the NBD-family likelihoods.
 */
export function risingLogSums(r: number, sortedCounts: ArrayLike<number>, lg: Float64Array, dg: Float64Array): void {
  const n = sortedCounts.length;
  let sLg = 0;
  let sDg = 0;
  let j = 0;
  for (let k = 0; j < n; k++) {
    while (j < n && sortedCounts[j]! === k) {
      lg[j] = sLg;
      dg[j] = sDg;
      j++;
    }
    if (j >= n) break;
    sLg += Math.log(r + k);
    sDg += 1 / (r + k);
  }
}
