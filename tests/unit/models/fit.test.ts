import { describe, expect, it } from 'vitest';
import {
  bgnbdPAlive,
  compressRfm,
  compressSpend,
  fitAll,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  Rng,
  simulateCustomers,
} from '../../../shared/models/index';
import { cdnowSummary } from './cdnow-fixture';

/** Customers whose dropout probability is essentially zero: nobody ever leaves. */
function neverLeaving(seed: number) {
  return simulateCustomers({ customers: 3000, seed, params: { r: 0.5, alpha: 5, a: 1e-12, b: 1 }, spend: { p: 6, q: 4, gamma: 15 } });
}

describe('fitting data in which nobody drops out', () => {
  it('reports the BG/NBD dropout collapse (a → 0 or b → ∞) instead of throwing', () => {
    // Prepare
    const sim = neverLeaving(11);
    const data = compressRfm(sim.x, sim.tx, sim.T);
    // Act
    const fit = fitBgNbd(data);
    // Assess
    expect(fit.status.ok).toBe(false);
    expect(fit.status.ok === false && fit.status.degenerate).toBe('dropout-collapsed');
    expect(fit.status.ok === false && fit.status.message).toMatch(/collapsed|no evidence/);
    // The fitted model considers practically everyone alive, so it cannot rank dormancy.
    let dead = 0;
    for (let i = 0; i < sim.x.length; i++) dead += 1 - bgnbdPAlive(fit.params, sim.x[i]!, sim.tx[i]!, sim.T[i]!);
    expect(dead / sim.x.length).toBeLessThan(0.01);
    // The purchase process is still estimated sensibly.
    expect(fit.params.r / fit.params.alpha).toBeCloseTo(0.1, 1);
  });

  it('reports the same collapse for MBG/NBD and Pareto/NBD', () => {
    // Prepare
    const sim = neverLeaving(12);
    const data = compressRfm(sim.x, sim.tx, sim.T);
    // Act
    const mbg = fitMbgNbd(data);
    const pnbd = fitParetoNbd(data);
    // Assess
    expect(mbg.status.ok === false && mbg.status.degenerate).toBe('dropout-collapsed');
    expect(pnbd.status.ok === false && pnbd.status.degenerate).toBe('dropout-collapsed');
  });

  it('reports the collapse on a slice of CDNOW customers who all bought in their last four weeks', () => {
    // Prepare: repeat buyers with t_x ≥ T − 4 look as if nobody ever left.
    const s = cdnowSummary();
    const keep = [...s.x.keys()].filter((i) => s.x[i]! > 0 && s.tx[i]! >= s.T[i]! - 4);
    // Act
    const fits = fitAll({ x: keep.map((i) => s.x[i]!), tx: keep.map((i) => s.tx[i]!), T: keep.map((i) => s.T[i]!) }, { models: ['bgnbd'] });
    // Assess
    expect(keep.length).toBeGreaterThan(100);
    expect(fits.bgnbd!.status.ok === false && fits.bgnbd!.status.degenerate).toBe('dropout-collapsed');
  });
});

describe('the no-dropout likelihood-ratio check', () => {
  it('records the nested NBD log-likelihood and passes CDNOW, where dropout is clear', () => {
    // Prepare
    const s = cdnowSummary();
    // Act
    const fit = fitBgNbd(compressRfm(s.x, s.tx, s.T));
    // Assess: FHL 2005 report the NBD at −9763.7 on these data
    expect(fit.diagnostics.nbdLogLikelihood).toBeCloseTo(-9763.7, 1);
    expect(fit.logLikelihood - fit.diagnostics.nbdLogLikelihood!).toBeGreaterThan(100);
    expect(fit.status.ok).toBe(true);
  });
});

describe('fitting too little data', () => {
  it('returns insufficient-data for every model when fewer than the minimum customers repeat', () => {
    // Prepare
    const x = [0, 0, 1, 2, 0];
    const tx = [0, 0, 3, 4, 0];
    const T = [10, 10, 10, 10, 10];
    const mx = [0, 0, 5, 7, 0];
    // Act
    const fits = fitAll({ x, tx, T, mx });
    // Assess
    for (const f of [fits.bgnbd!, fits.mbgnbd!, fits.paretoNbd!, fits.gammaGamma!]) {
      expect(f.status.ok === false && f.status.degenerate).toBe('insufficient-data');
      expect(f.params).toBeDefined();
    }
  });

  it('throws a RangeError only for statistics that cannot exist', () => {
    // Prepare / Act / Assess
    expect(() => fitAll({ x: [1], tx: [5], T: [2] })).toThrow(RangeError);
  });
});

describe('fitting spend data that the Gamma-Gamma model cannot describe', () => {
  it('reports spend-variance-collapsed when each customer always spends the same amount', () => {
    // Prepare
    const rng = new Rng(3);
    const n = 3000;
    const x = new Float64Array(n);
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = 1 + Math.floor(rng.uniform() * 6);
      m[i] = 15 / rng.gamma(4);
    }
    // Act
    const fit = fitGammaGamma(compressSpend(x, m));
    // Assess
    expect(fit.status.ok === false && fit.status.degenerate).toBe('spend-variance-collapsed');
  });

  it('reports spend-mean-infinite when spend is so heavy-tailed that q ≤ 1', () => {
    // Prepare
    const rng = new Rng(4);
    const n = 3000;
    const x = new Float64Array(n);
    const m = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = 1 + Math.floor(rng.uniform() * 6);
      const nu = rng.gamma(0.8) / 15;
      m[i] = rng.gamma(6 * x[i]!) / (x[i]! * nu);
    }
    // Act
    const fit = fitGammaGamma(compressSpend(x, m));
    // Assess
    expect(fit.params.q).toBeLessThan(1);
    expect(fit.status.ok === false && fit.status.degenerate).toBe('spend-mean-infinite');
  });
});

describe('fitAll', () => {
  it('fits the four models on CDNOW with usable statuses and diagnostics', () => {
    // Prepare
    const s = cdnowSummary();
    // Act
    const fits = fitAll(s);
    // Assess
    expect(fits.customers).toBe(2357);
    expect(fits.repeatCustomers).toBe(946);
    for (const f of [fits.bgnbd!, fits.mbgnbd!, fits.paretoNbd!, fits.gammaGamma!]) {
      expect(f.status).toEqual({ ok: true, warnings: [] });
      expect(f.diagnostics.convergedStarts).toBe(3);
    }
  });

  it('screens starting points on a subsample for large data and refines on all of it', () => {
    // Prepare
    const sim = simulateCustomers({ customers: 60_000, seed: 9, params: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 } });
    const data = compressRfm(sim.x, sim.tx, sim.T);
    // Act
    const screened = fitBgNbd(data);
    const full = fitBgNbd(data, { screenAbove: Infinity });
    // Assess
    expect(screened.diagnostics.screenedOn).toBeGreaterThan(15_000);
    expect(full.diagnostics.screenedOn).toBeUndefined();
    expect(Math.abs(screened.logLikelihood - full.logLikelihood)).toBeLessThan(1e-6);
  });
});
