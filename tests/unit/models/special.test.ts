import { describe, expect, it } from 'vitest';
import { digamma, hyp2f1, hyp2f1Log, lgamma, log1mExp, logAddExp, logSumExp } from '../../../shared/models/special';

// Reference values from mpmath at 30 digits.
describe('lgamma', () => {
  it('matches high-precision values from tiny to huge arguments', () => {
    // Prepare
    const cases: [number, number][] = [
      [1e-8, 18.420680738180209],
      [0.5, 0.57236494292470008],
      [1.5, -0.12078223763524522],
      [2.5, 0.2846828704729192],
      [14.9, 24.924132002217277],
      [100, 359.13420536957540],
      [1e10, 220258509288.81058],
    ];
    // Act / Assess
    for (const [x, v] of cases) expect(Math.abs(lgamma(x) - v)).toBeLessThan(1e-13 * Math.max(1, Math.abs(v)));
    expect(Math.abs(lgamma(1))).toBeLessThan(1e-14);
    expect(Math.abs(lgamma(2))).toBeLessThan(1e-14);
  });

  it('uses the reflection formula for negative non-integers', () => {
    // Prepare / Act / Assess
    expect(lgamma(-0.5)).toBeCloseTo(1.2655121234846454, 13);
    expect(lgamma(-2)).toBe(Infinity);
  });
});

describe('digamma', () => {
  it('matches high-precision values', () => {
    // Prepare
    const cases: [number, number][] = [
      [1e-8, -100000000.57721564],
      [0.5, -1.9635100260214235],
      [1, -0.57721566490153286],
      [1.5, 0.036489973978576521],
      [9.9, 2.2411803166063815],
      [100, 4.6001618527380874],
    ];
    // Act / Assess
    for (const [x, v] of cases) expect(Math.abs(digamma(x) - v)).toBeLessThan(1e-13 * Math.max(1, Math.abs(v)));
  });
});

describe('hyp2f1', () => {
  it('matches high-precision values, including cases needing Euler’s transformation', () => {
    // Prepare
    const cases: [number, number, number, number, number][] = [
      [2.2426, 4.4259, 2.2188, 39 / 82.27, 17.625624483369872],
      [30.24, 31.4, 32.2, 0.5, 746807144.2158813],
      [0.24, 2.4, 0.3, 0.9, 168.28837381691525],
      [0.24, 0.4, -0.3, 0.6, 0.4357280474128334],
    ];
    // Act / Assess
    for (const [a, b, c, z, v] of cases) expect(Math.abs(hyp2f1(a, b, c, z) / v - 1)).toBeLessThan(1e-13);
  });

  it('returns the logarithm of values too large for a double', () => {
    // Prepare / Act
    const r = hyp2f1Log(1000.24, 1002.4, 1002.2, 0.5);
    // Assess: ln(1.4533287626811415e301) from scipy
    expect(r.sign).toBe(1);
    expect(r.logAbs).toBeCloseTo(693.4519696149515, 10);
  });

  it('is exactly 1 at z = 0 and refuses z outside [0, 1)', () => {
    // Prepare / Act / Assess
    expect(hyp2f1(1, 2, 3, 0)).toBe(1);
    expect(hyp2f1Log(1, 2, 3, 1).logAbs).toBeNaN();
    expect(hyp2f1Log(1, 2, 3, -0.1).logAbs).toBeNaN();
  });
});

describe('log-space helpers', () => {
  it('adds and subtracts exponentials without overflow or cancellation', () => {
    // Prepare / Act / Assess
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(-Infinity, 3)).toBe(3);
    expect(log1mExp(-1e-20)).toBeCloseTo(Math.log(1e-20), 10);
    expect(log1mExp(-50)).toBeCloseTo(-Math.exp(-50), 30);
    expect(logSumExp([1, 2, 3])).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3), 12);
  });
});
