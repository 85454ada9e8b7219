import { describe, expect, it } from 'vitest';
import { compressRfm, compressSpend, fitBgNbd, fitGammaGamma, fitMbgNbd, Rng, simulateCustomers } from '../../../shared/models/index';

const TRUE_BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const TRUE_GG = { p: 6.25, q: 3.74, gamma: 15.44 };

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    // Prepare
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    // Act
    const sa = Array.from({ length: 5 }, () => a.uniform());
    const sb = Array.from({ length: 5 }, () => b.uniform());
    const sc = Array.from({ length: 5 }, () => c.uniform());
    // Assess
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it('draws gamma variates with the right mean and variance, also for shapes below one', () => {
    // Prepare
    const rng = new Rng(7);
    for (const shape of [0.25, 2.5]) {
      let s = 0;
      let s2 = 0;
      const n = 200_000;
      // Act
      for (let i = 0; i < n; i++) {
        const g = rng.gamma(shape);
        s += g;
        s2 += g * g;
      }
      // Assess
      const mean = s / n;
      expect(mean).toBeCloseTo(shape, 1);
      expect(s2 / n - mean * mean).toBeCloseTo(shape, 1);
    }
  });
});

describe('simulateCustomers', () => {
  it('is deterministic for a seed', () => {
    // Prepare / Act
    const a = simulateCustomers({ customers: 1000, seed: 1, params: TRUE_BG, spend: TRUE_GG });
    const b = simulateCustomers({ customers: 1000, seed: 1, params: TRUE_BG, spend: TRUE_GG });
    // Assess
    expect(a.x).toEqual(b.x);
    expect(a.tx).toEqual(b.tx);
    expect(a.mx).toEqual(b.mx);
  });

  it('produces valid statistics: integer x, 0 ≤ t_x ≤ T, whole-day times, spend only for repeaters', () => {
    // Prepare / Act
    const s = simulateCustomers({ customers: 5000, seed: 2, params: TRUE_BG, spend: TRUE_GG });
    // Assess
    for (let i = 0; i < 5000; i++) {
      expect(Number.isInteger(s.x[i])).toBe(true);
      expect(s.tx[i]).toBeGreaterThanOrEqual(0);
      expect(s.tx[i]).toBeLessThanOrEqual(s.T[i]!);
      expect(Math.abs(s.T[i]! * 7 - Math.round(s.T[i]! * 7))).toBeLessThan(1e-9);
      expect(Math.abs(s.tx[i]! * 7 - Math.round(s.tx[i]! * 7))).toBeLessThan(1e-9);
      expect(s.mx[i]! > 0).toBe(s.x[i]! > 0);
    }
    expect(() => compressRfm(s.x, s.tx, s.T)).not.toThrow();
  });

  it('lets the BG/NBD and Gamma-Gamma fits recover the parameters it was given', () => {
    // Prepare
    const s = simulateCustomers({ customers: 200_000, seed: 3, params: TRUE_BG, spend: TRUE_GG });
    // Act
    const bg = fitBgNbd(compressRfm(s.x, s.tx, s.T));
    const gg = fitGammaGamma(compressSpend(s.x, s.mx));
    // Assess: within a few standard errors at this sample size
    expect(bg.status.ok).toBe(true);
    expect(Math.abs(bg.params.r / TRUE_BG.r - 1)).toBeLessThan(0.03);
    expect(Math.abs(bg.params.alpha / TRUE_BG.alpha - 1)).toBeLessThan(0.05);
    expect(Math.abs(bg.params.a / TRUE_BG.a - 1)).toBeLessThan(0.08);
    expect(Math.abs(bg.params.b / TRUE_BG.b - 1)).toBeLessThan(0.08);
    expect(Math.abs(gg.params.p / TRUE_GG.p - 1)).toBeLessThan(0.05);
    expect(Math.abs(gg.params.q / TRUE_GG.q - 1)).toBeLessThan(0.05);
    expect(Math.abs(gg.params.gamma / TRUE_GG.gamma - 1)).toBeLessThan(0.05);
  });

  it('simulates MBG/NBD customers whose parameters the MBG/NBD fit recovers', () => {
    // Prepare
    const truth = { r: 0.5, alpha: 6, a: 0.9, b: 1.6 };
    const s = simulateCustomers({ customers: 100_000, seed: 4, params: truth, variant: 'mbgnbd' });
    // Act
    const fit = fitMbgNbd(compressRfm(s.x, s.tx, s.T));
    // Assess
    expect(Math.abs(fit.params.r / truth.r - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.params.a / truth.a - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.params.b / truth.b - 1)).toBeLessThan(0.1);
  });

  it('marks as alive at T exactly the customers who had not dropped out by then', () => {
    // Prepare / Act
    const s = simulateCustomers({ customers: 20_000, seed: 5, params: TRUE_BG, holdoutDays: 273 });
    // Assess: anyone who bought in the holdout was alive at T
    for (let i = 0; i < s.x.length; i++) if (s.xStar[i]! > 0) expect(s.aliveAtT[i]).toBe(1);
    const aliveShare = s.aliveAtT.reduce((a, v) => a + v, 0) / s.x.length;
    expect(aliveShare).toBeGreaterThan(0.5);
    expect(aliveShare).toBeLessThan(1);
  });
});
