import { describe, expect, it } from 'vitest';
import {
  bgnbdConditionalExpectedPurchases,
  bgnbdDataLogLikelihood,
  bgnbdExpectedPurchases,
  bgnbdLogLikelihood,
  bgnbdPAlive,
  bgnbdProbabilityOfPurchases,
  compressRfm,
  fitBgNbd,
} from '../../../shared/models/index';
import { bgObjective } from '../../../shared/models/bg-kernel';
import { cdnowSummary, derivedRows, numbers, publishedValues, referenceVectors, relErr } from './cdnow-fixture';

const summary = cdnowSummary();
const data = compressRfm(summary.x, summary.tx, summary.T);
const published = publishedValues();
/** BTYD 2.4.3's full-precision estimates (vignette §4.2). */
const BTYD = (() => {
  const [r, alpha, a, b] = numbers(published.get('BG/NBD|r alpha a b (full precision)'));
  return { r: r!, alpha: alpha!, a: a!, b: b! };
})();

describe('BG/NBD fit on the CDNOW sample (Fader, Hardie & Lee 2005, Table 2)', () => {
  it('reproduces the published estimates and log-likelihood', () => {
    // Prepare (data compressed above) / Act
    const fit = fitBgNbd(data);
    // Assess
    expect(fit.status.ok).toBe(true);
    expect(fit.params.r).toBeCloseTo(0.2426, 4);
    expect(fit.params.alpha).toBeCloseTo(4.4135, 3);
    expect(fit.params.a).toBeCloseTo(0.7929, 4);
    expect(fit.params.b).toBeCloseTo(2.4258, 3);
    expect(Math.abs(fit.logLikelihood - -9582.43)).toBeLessThan(0.005);
    expect(Math.abs(fit.logLikelihood - Number(published.get('BG/NBD|LL')))).toBeLessThan(0.05);
  });

  it('agrees with the scipy MLE recorded with the derived summary to 5 significant digits', () => {
    // Prepare
    const scipy = { r: 0.242595, alpha: 4.413602, a: 0.792922, b: 2.425907 };
    // Act
    const fit = fitBgNbd(data);
    // Assess
    for (const k of ['r', 'alpha', 'a', 'b'] as const) expect(relErr(fit.params[k], scipy[k])).toBeLessThan(1e-5);
  });

  it('reaches the same optimum from every starting point', () => {
    // Prepare / Act
    const fit = fitBgNbd(data);
    // Assess
    expect(fit.diagnostics.convergedStarts).toBe(fit.diagnostics.starts);
    expect(fit.diagnostics.logLikelihoodSpread).toBeLessThan(1e-6);
  });
});

describe('BG/NBD likelihood', () => {
  it('gives the same total on compressed rows as summed over customers', () => {
    // Prepare
    let perCustomer = 0;
    for (let i = 0; i < summary.x.length; i++) perCustomer += bgnbdLogLikelihood(BTYD, summary.x[i]!, summary.tx[i]!, summary.T[i]!);
    // Act
    const compressed = bgnbdDataLogLikelihood(data, BTYD);
    // Assess
    expect(Math.abs(compressed - perCustomer)).toBeLessThan(1e-8);
    expect(compressed).toBeCloseTo(-9582.429, 3); // BTYD's reported LL at its estimates
  });

  it('has an analytic gradient equal to central finite differences', () => {
    // Prepare
    const f = bgObjective(data, 'bgnbd');
    const theta = Float64Array.of(Math.log(0.5), Math.log(3), Math.log(1.2), Math.log(4));
    const g = new Float64Array(4);
    const scratch = new Float64Array(4);
    // Act
    f(theta, g);
    // Assess
    for (let k = 0; k < 4; k++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[k] = up[k]! + h;
      down[k] = down[k]! - h;
      const fd = (f(up, scratch) - f(down, scratch)) / (2 * h);
      expect(Math.abs(g[k]! - fd)).toBeLessThan(1e-7);
    }
  });
});

describe('BG/NBD predictions', () => {
  const ref = referenceVectors();

  it('matches lifetimes’ P(alive) and 39-week conditional expectations to 1e-6 relative', () => {
    // Prepare
    const p = ref.params.bgnbd;
    // Act / Assess
    for (let i = 0; i < ref.frequency.length; i++) {
      const x = ref.frequency[i]!;
      const tx = ref.recency[i]!;
      const T = ref.T[i]!;
      expect(relErr(bgnbdPAlive(p, x, tx, T), ref.bgnbd.p_alive[i]!)).toBeLessThan(1e-6);
      expect(relErr(bgnbdConditionalExpectedPurchases(p, ref.t_future_weeks, x, tx, T), ref.bgnbd.cond_expected_purchases_39w[i]!)).toBeLessThan(1e-6);
    }
  });

  it('matches the derived summary’s P(alive) and 39-week expectations for all 2357 customers', () => {
    // Prepare
    const p = { r: 0.242595, alpha: 4.413602, a: 0.792922, b: 2.425907 };
    // Act / Assess: the file rounds to 6 decimals
    for (const row of derivedRows()) {
      expect(Math.abs(bgnbdPAlive(p, row.x, row.tx, row.T) - row.bgnbdPAlive)).toBeLessThan(2e-6);
      expect(Math.abs(bgnbdConditionalExpectedPurchases(p, 39, row.x, row.tx, row.T) - row.bgnbdCe39)).toBeLessThan(2e-6);
    }
  });

  it('reproduces BTYD’s E[X(52)] and its customer 1516 (x=26, t_x=30.857, T=31)', () => {
    // Prepare
    const [ce, pa] = (published.get('BG/NBD|cust 1516 (x=26 t_x=30.857 T=31) CE(52) / P(alive)') ?? '').split('/').map(Number);
    // Act
    const ex52 = bgnbdExpectedPurchases(BTYD, 52);
    const ce52 = bgnbdConditionalExpectedPurchases(BTYD, 52, 26, 216 / 7, 31);
    const alive = bgnbdPAlive(BTYD, 26, 216 / 7, 31);
    // Assess
    expect(relErr(ex52, Number(published.get('BG/NBD|E[X(52)] new customer')))).toBeLessThan(1e-6);
    expect(relErr(ce52, ce!)).toBeLessThan(5e-6);
    expect(relErr(alive, pa!)).toBeLessThan(1e-6);
  });

  it('reproduces Hardie’s spreadsheet values of E[X(t)] to the 3 decimals the lifetimes test checks', () => {
    // Prepare
    const expected = (published.get('BG/NBD|E[X(t)] t=0.1429/1/3/31.8571/32/78') ?? '').split('/').map(Number);
    const t = [0.1429, 1, 3, 31.8571, 32, 78];
    // Act / Assess
    t.forEach((ti, i) => expect(Math.abs(bgnbdExpectedPurchases(BTYD, ti) - expected[i]!)).toBeLessThan(1e-3));
  });

  it('reproduces Hardie’s conditional expectation for x=2, t_x=30.43, T=38.86', () => {
    // Prepare / Act
    const ce = bgnbdConditionalExpectedPurchases(ref.params.bgnbd, 39, 2, 30.43, 38.86);
    // Assess
    expect(ce).toBeCloseTo(1.226, 3);
  });

  it('reproduces P(X(39) = 0) at the paper’s rounded estimates', () => {
    // Prepare / Act
    const p0 = bgnbdProbabilityOfPurchases({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }, 39, 0);
    // Assess
    expect(relErr(p0, 0.5737864)).toBeLessThan(1e-6);
  });

  it('gives a probability distribution over purchase counts that sums to one', () => {
    // Prepare / Act
    let total = 0;
    for (let n = 0; n < 400; n++) total += bgnbdProbabilityOfPurchases(BTYD, 39, n);
    // Assess
    expect(total).toBeCloseTo(1, 8);
  });

  it('stays finite and continuous at a = 1, where the closed form divides zero by zero', () => {
    // Prepare
    const base = { r: 0.3, alpha: 5, b: 2.5 };
    // Act
    const at = bgnbdConditionalExpectedPurchases({ ...base, a: 1 }, 39, 3, 20, 30);
    const below = bgnbdConditionalExpectedPurchases({ ...base, a: 1 - 1e-4 }, 39, 3, 20, 30);
    const above = bgnbdConditionalExpectedPurchases({ ...base, a: 1 + 1e-4 }, 39, 3, 20, 30);
    // Assess
    expect(Number.isFinite(at)).toBe(true);
    expect(Math.abs(at - (below + above) / 2)).toBeLessThan(1e-6);
  });

  it('scores a customer with no repeat purchase as alive, as BG/NBD assumes', () => {
    // Prepare / Act / Assess
    expect(bgnbdPAlive(BTYD, 0, 0, 38)).toBe(1);
  });
});
