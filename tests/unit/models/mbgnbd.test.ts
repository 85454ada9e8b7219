import { describe, expect, it } from 'vitest';
import {
  compressRfm,
  fitMbgNbd,
  mbgnbdConditionalExpectedPurchases,
  mbgnbdDataLogLikelihood,
  mbgnbdExpectedPurchases,
  mbgnbdLogLikelihood,
  mbgnbdPAlive,
} from '../../../shared/models/index';
import { bgObjective } from '../../../shared/models/bg-kernel';
import { cdnowSummary, referenceVectors, relErr } from './cdnow-fixture';

const summary = cdnowSummary();
const data = compressRfm(summary.x, summary.tx, summary.T);

describe('MBG/NBD fit on the CDNOW sample (Batislam, Denizel & Filiztekin 2007)', () => {
  it('reaches log-likelihood −9582.14 at BTYDplus’ estimates 0.525 6.183 0.891 1.614', () => {
    // Prepare / Act
    const fit = fitMbgNbd(data);
    // Assess
    expect(fit.status.ok).toBe(true);
    expect(Math.abs(fit.logLikelihood - -9582.14)).toBeLessThan(0.005);
    expect(fit.params.r).toBeCloseTo(0.525, 3);
    expect(fit.params.alpha).toBeCloseTo(6.183, 3);
    expect(fit.params.a).toBeCloseTo(0.891, 3);
    expect(fit.params.b).toBeCloseTo(1.614, 3);
  });
});

describe('MBG/NBD likelihood', () => {
  it('gives the same total on compressed rows as summed over customers', () => {
    // Prepare
    const p = { r: 0.525, alpha: 6.183, a: 0.891, b: 1.614 };
    let perCustomer = 0;
    for (let i = 0; i < summary.x.length; i++) perCustomer += mbgnbdLogLikelihood(p, summary.x[i]!, summary.tx[i]!, summary.T[i]!);
    // Act
    const compressed = mbgnbdDataLogLikelihood(data, p);
    // Assess
    expect(Math.abs(compressed - perCustomer)).toBeLessThan(1e-8);
  });

  it('has an analytic gradient equal to central finite differences', () => {
    // Prepare
    const f = bgObjective(data, 'mbgnbd');
    const theta = Float64Array.of(Math.log(0.3), Math.log(8), Math.log(0.6), Math.log(2));
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
      expect(Math.abs(g[k]! - (f(up, scratch) - f(down, scratch)) / (2 * h))).toBeLessThan(1e-7);
    }
  });
});

describe('MBG/NBD predictions', () => {
  const ref = referenceVectors();

  it('matches lifetimes’ P(alive) and 39-week conditional expectations to 1e-6 relative', () => {
    // Prepare
    const p = ref.params.mbgnbd;
    // Act / Assess
    for (let i = 0; i < ref.frequency.length; i++) {
      const x = ref.frequency[i]!;
      const tx = ref.recency[i]!;
      const T = ref.T[i]!;
      expect(relErr(mbgnbdPAlive(p, x, tx, T), ref.mbgnbd.p_alive[i]!)).toBeLessThan(1e-6);
      expect(relErr(mbgnbdConditionalExpectedPurchases(p, ref.t_future_weeks, x, tx, T), ref.mbgnbd.cond_expected_purchases_39w[i]!)).toBeLessThan(1e-6);
    }
  });

  it('lets a customer with no repeat purchase be dead, unlike BG/NBD', () => {
    // Prepare / Act
    const alive = mbgnbdPAlive(ref.params.mbgnbd, 0, 0, 38.86);
    // Assess
    expect(alive).toBeLessThan(0.5);
    expect(relErr(alive, ref.mbgnbd.p_alive[0]!)).toBeLessThan(1e-6);
  });

  it('agrees with the conditional expectation of a brand-new customer', () => {
    // Prepare
    const p = ref.params.mbgnbd;
    // Act
    const unconditional = mbgnbdExpectedPurchases(p, 52);
    const conditional = mbgnbdConditionalExpectedPurchases(p, 52, 0, 0, 0);
    // Assess
    expect(relErr(conditional, unconditional)).toBeLessThan(1e-12);
  });
});
