import { describe, expect, it } from 'vitest';
import { newcombeDifference, riskRatioKatz, wilson, Z_95 } from '../../../shared/measure/stats';

describe('wilson', () => {
  // Newcombe 1998a ("Two-sided confidence intervals for the single proportion", Stat Med 17:857),
  // Table I, method 3 (score, no continuity correction); the same four figures recomputed
  // independently in Python from (x + z²/2 ± z√(x(n−x)/n + z²/4)) / (n + z²).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('%i/%i → %f to %f (Newcombe 1998a, Table I)', (x, n, low, high) => {
    const ci = wilson(x, n)!;
    expect(ci.low).toBeCloseTo(low, 4);
    expect(ci.high).toBeCloseTo(high, 4);
  });

  it('is undefined for an empty group and refuses impossible counts', () => {
    expect(wilson(0, 0)).toBeUndefined();
    expect(() => wilson(3, 2)).toThrow(RangeError);
    expect(() => wilson(-1, 2)).toThrow(RangeError);
    expect(() => wilson(1.5, 2)).toThrow(RangeError);
  });

  it('with z = 0 collapses to the observed proportion', () => {
    expect(wilson(3, 12, 0)).toEqual({ low: 0.25, high: 0.25 });
  });
});

describe('newcombeDifference (method 10)', () => {
  // Newcombe 1998b ("Interval estimation for the difference between independent proportions",
  // Stat Med 17:873), Table II, method 10. 56/70 − 48/80 = 0.8 − 0.6 = 0.2 exactly (not 0.1833);
  // every pair was recomputed in Python from the Wilson limits by square-and-add and agrees to 4 dp.
  it.each([
    [56, 70, 48, 80, 0.2, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.6, 0.1705, 0.809],
    [5, 56, 0, 29, 5 / 56, -0.0381, 0.1926],
    [0, 10, 0, 20, 0, -0.1611, 0.2775],
    [10, 10, 0, 20, 1, 0.6791, 1],
  ])('%i/%i − %i/%i: %f, %f to %f', (x1, n1, x2, n2, d, low, high) => {
    const ci = newcombeDifference(x1, n1, x2, n2)!;
    expect(ci.estimate).toBeCloseTo(d, 10);
    expect(ci.low).toBeCloseTo(low, 4);
    expect(ci.high).toBeCloseTo(high, 4);
  });

  it('is antisymmetric: swapping the arms negates the estimate and mirrors the interval', () => {
    const ab = newcombeDifference(7, 40, 2, 35)!;
    const ba = newcombeDifference(2, 35, 7, 40)!;
    expect(ba.estimate).toBeCloseTo(-ab.estimate, 12);
    expect(ba.low).toBeCloseTo(-ab.high, 12);
    expect(ba.high).toBeCloseTo(-ab.low, 12);
  });

  it('is undefined when an arm is empty', () => {
    expect(newcombeDifference(1, 10, 0, 0)).toBeUndefined();
    expect(newcombeDifference(0, 0, 1, 10)).toBeUndefined();
  });
});

describe('riskRatioKatz', () => {
  // Reference values from scipy 1.17 scipy.stats.contingency.relative_risk(...).confidence_interval(0.95),
  // which implements the same Katz log interval independently of this code.
  it.each([
    [56, 70, 48, 80, 4 / 3, 1.076626, 1.651249],
    [9, 10, 3, 10, 3, 1.13835, 7.906178],
    [15, 148, 81, 263, (15 / 148) / (81 / 263), 0.197059, 0.549547],
  ])('%i/%i ÷ %i/%i', (x1, n1, x2, n2, rr, low, high) => {
    const ci = riskRatioKatz(x1, n1, x2, n2)!;
    expect(ci.estimate).toBeCloseTo(rr, 10);
    expect(ci.low).toBeCloseTo(low, 5);
    expect(ci.high).toBeCloseTo(high, 5);
  });

  it('matches the formula worked by hand for 10/20 ÷ 5/20', () => {
    // RR = 0.5 / 0.25 = 2; se = √(1/10 − 1/20 + 1/5 − 1/20) = √0.2
    const se = Math.sqrt(0.2);
    const ci = riskRatioKatz(10, 20, 5, 20)!;
    expect(ci.estimate).toBeCloseTo(2, 12);
    expect(ci.low).toBeCloseTo(2 * Math.exp(-Z_95 * se), 12);
    expect(ci.high).toBeCloseTo(2 * Math.exp(Z_95 * se), 12);
  });

  it('is undefined when either arm has no events (no ratio, or no logarithm)', () => {
    expect(riskRatioKatz(3, 10, 0, 10)).toBeUndefined();
    expect(riskRatioKatz(0, 10, 3, 10)).toBeUndefined();
    expect(riskRatioKatz(3, 10, 0, 0)).toBeUndefined();
  });
});
