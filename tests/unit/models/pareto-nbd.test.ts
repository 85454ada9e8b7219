import { describe, expect, it } from 'vitest';
import {
  compressRfm,
  fitParetoNbd,
  paretoNbdConditionalExpectedPurchases,
  paretoNbdDataLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdPAlive,
  simulateCustomers,
} from '../../../shared/models/index';
import { paretoLogTailIntegral, paretoObjective } from '../../../shared/models/pareto-nbd';
import { cdnowSummary, derivedRows, numbers, publishedValues, referenceVectors, relErr } from './cdnow-fixture';

const summary = cdnowSummary();
const data = compressRfm(summary.x, summary.tx, summary.T);
const published = publishedValues();

function finiteDifferenceCheck(f: (t: Float64Array, g: Float64Array) => number, theta: Float64Array, tol: number): void {
  const g = new Float64Array(4);
  const scratch = new Float64Array(4);
  f(theta, g);
  for (let k = 0; k < 4; k++) {
    const h = 1e-6;
    const up = Float64Array.from(theta);
    const down = Float64Array.from(theta);
    up[k] = up[k]! + h;
    down[k] = down[k]! - h;
    expect(Math.abs(g[k]! - (f(up, scratch) - f(down, scratch)) / (2 * h))).toBeLessThan(tol);
  }
}

describe('Pareto/NBD fit on the CDNOW sample (Fader, Hardie & Lee 2005, Table 2)', () => {
  it('reproduces the published estimates and log-likelihood −9594.98', () => {
    // Prepare / Act
    const fit = fitParetoNbd(data);
    // Assess
    expect(fit.status.ok).toBe(true);
    expect(Math.abs(fit.logLikelihood - -9594.98)).toBeLessThan(0.005);
    expect(Math.abs(fit.logLikelihood - Number(published.get('Pareto/NBD|LL (BTYD)')))).toBeLessThan(0.001);
    expect(fit.params.r).toBeCloseTo(0.553, 3);
    expect(fit.params.alpha).toBeCloseTo(10.578, 2);
    expect(fit.params.s).toBeCloseTo(0.606, 3);
    expect(fit.params.beta).toBeCloseTo(11.669, 2);
  });
});

describe('Pareto/NBD likelihood', () => {
  it('gives the same total on compressed rows as summed over customers', () => {
    // Prepare
    const p = { r: 0.553277, alpha: 10.577683, s: 0.60624, beta: 11.668733 };
    let perCustomer = 0;
    for (let i = 0; i < summary.x.length; i++) perCustomer += paretoNbdLogLikelihood(p, summary.x[i]!, summary.tx[i]!, summary.T[i]!);
    // Act
    const compressed = paretoNbdDataLogLikelihood(data, p);
    // Assess
    expect(Math.abs(compressed - perCustomer)).toBeLessThan(1e-8);
  });

  it('has an analytic gradient equal to central finite differences on both sides of α = β', () => {
    // Prepare
    const f = paretoObjective(data);
    // Act / Assess
    finiteDifferenceCheck(f, Float64Array.of(Math.log(0.55), Math.log(10.6), Math.log(0.6), Math.log(11.7)), 1e-6);
    finiteDifferenceCheck(f, Float64Array.of(0, 3, 0, 1), 1e-6);
  });

  it('computes the tail integral accurately where the hypergeometric series converges slowly', () => {
    // Prepare: β ≫ α + t gives z ≈ 1; reference values by mpmath quadrature at 40 digits.
    const out = new Float64Array(5);
    const cases: [number[], number][] = [
      [[0.5, 5, 0.5, 1e5, 0, 0], -10.826824469451793],
      [[0.5, 5, 0.5, 1e5, 3, 10], -24.956104312634654],
      [[0.5, 5e4, 2, 1, 10, 1], -115.687742239609047],
      [[0.5, 100, 0.5, 1, 0, 0], -1.7047480922384253],
    ];
    // Act / Assess
    for (const [[r, a, s, b, x, t], expected] of cases) {
      paretoLogTailIntegral(r!, a!, s!, b!, x!, t!, out);
      expect(Math.abs(out[0]! - expected)).toBeLessThan(1e-12 * Math.abs(expected));
    }
  });

  it('agrees between the chained objective and per-customer sums when the dropout has collapsed', () => {
    // Prepare: customers who never leave push β → ∞, where the chained quadrature is used.
    const sim = simulateCustomers({ customers: 2000, seed: 5, params: { r: 0.5, alpha: 5, a: 1e-12, b: 1 } });
    const d = compressRfm(sim.x, sim.tx, sim.T);
    const p = { r: 0.5, alpha: 5, s: 1e-5, beta: 1e5 };
    let perCustomer = 0;
    for (let i = 0; i < sim.x.length; i++) perCustomer += paretoNbdLogLikelihood(p, sim.x[i]!, sim.tx[i]!, sim.T[i]!);
    // Act
    const compressed = paretoNbdDataLogLikelihood(d, p);
    // Assess
    expect(Math.abs(compressed - perCustomer)).toBeLessThan(1e-7);
    finiteDifferenceCheck(paretoObjective(d), Float64Array.of(Math.log(0.5), Math.log(5), Math.log(1e-3), Math.log(1e4)), 1e-6);
  });
});

describe('Pareto/NBD predictions', () => {
  const ref = referenceVectors();

  it('matches lifetimes’ P(alive) and 39-week conditional expectations to 1e-6 relative, for both recorded fits', () => {
    // Prepare
    const sets = [
      [ref.params.pareto_nbd, ref.pareto_nbd],
      [ref.params.pareto_nbd_default_fit, ref.pareto_nbd_default_fit],
    ] as const;
    // Act / Assess
    for (const [p, expected] of sets) {
      for (let i = 0; i < ref.frequency.length; i++) {
        const x = ref.frequency[i]!;
        const tx = ref.recency[i]!;
        const T = ref.T[i]!;
        expect(relErr(paretoNbdPAlive(p, x, tx, T), expected.p_alive[i]!)).toBeLessThan(1e-6);
        expect(relErr(paretoNbdConditionalExpectedPurchases(p, ref.t_future_weeks, x, tx, T), expected.cond_expected_purchases_39w[i]!)).toBeLessThan(1e-6);
      }
    }
  });

  it('matches the derived summary’s P(alive) and 39-week expectations for all 2357 customers', () => {
    // Prepare
    const p = { r: 0.553277, alpha: 10.577683, s: 0.60624, beta: 11.668733 };
    // Act / Assess: the file rounds to 6 decimals
    for (const row of derivedRows()) {
      expect(Math.abs(paretoNbdPAlive(p, row.x, row.tx, row.T) - row.pnbdPAlive)).toBeLessThan(2e-6);
      expect(Math.abs(paretoNbdConditionalExpectedPurchases(p, 39, row.x, row.tx, row.T) - row.pnbdCe39)).toBeLessThan(2e-6);
    }
  });

  it('reproduces BTYD’s E[X(52)] for a new customer at the maximum-likelihood estimates', () => {
    // Prepare
    const fit = fitParetoNbd(data);
    // Act
    const ex52 = paretoNbdExpectedPurchases(fit.params, 52);
    // Assess
    expect(relErr(ex52, Number(published.get('Pareto/NBD|E[X(52)] new customer')))).toBeLessThan(1e-5);
  });

  it('reproduces BTYD’s P(alive) for customer 1516 (x=26, t_x=30.857, T=31)', () => {
    // Prepare
    const fit = fitParetoNbd(data);
    const [, pa] = numbers((published.get('Pareto/NBD|cust 1516 CE(52) / P(alive)') ?? '').replace('/', ' '));
    // Act
    const alive = paretoNbdPAlive(fit.params, 26, 216 / 7, 31);
    // Assess
    expect(Math.abs(alive - pa!)).toBeLessThan(2e-6);
  });

  it('handles the s = 1 limit of the expected-purchases formula', () => {
    // Prepare
    const base = { r: 0.5, alpha: 10, beta: 12 };
    // Act
    const at = paretoNbdExpectedPurchases({ ...base, s: 1 }, 52);
    const near = paretoNbdExpectedPurchases({ ...base, s: 1 + 1e-7 }, 52);
    // Assess
    expect(relErr(at, near)).toBeLessThan(1e-6);
  });
});
