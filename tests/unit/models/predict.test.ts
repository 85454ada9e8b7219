import { describe, expect, it } from 'vitest';
import {
  customerLifetimeValue,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  pAlive,
  profileFromDays,
  scoreCustomer,
  type TransactionModel,
} from '../../../shared/models/index';
import { referenceClv, referenceVectors, relErr } from './cdnow-fixture';

const ref = referenceVectors();
const gg = { p: ref.params.gamma_gamma.p, q: ref.params.gamma_gamma.q, gamma: ref.params.gamma_gamma.v };
const models: Record<'with_bgnbd' | 'with_mbgnbd' | 'with_pareto_nbd', TransactionModel> = {
  with_bgnbd: { model: 'bgnbd', params: ref.params.bgnbd },
  with_mbgnbd: { model: 'mbgnbd', params: ref.params.mbgnbd },
  with_pareto_nbd: { model: 'paretoNbd', params: ref.params.pareto_nbd },
};
/** lifetimes' defaults: 12 months of 4.345 weeks, 1% per month. */
const LIFETIMES_CLV = { periods: 12, periodLength: 4.345, discountRate: 0.01 };

describe('customerLifetimeValue', () => {
  it('matches lifetimes’ 12-month CLV at 1% monthly discount to 1e-6 relative for all three transaction models', () => {
    // Prepare
    const clv = referenceClv(ref);
    // Act / Assess
    for (const [key, model] of Object.entries(models) as [keyof typeof models, TransactionModel][]) {
      for (let i = 0; i < ref.frequency.length; i++) {
        const c = { x: ref.frequency[i]!, tx: ref.recency[i]!, T: ref.T[i]!, mx: ref.monetary_value[i]! };
        expect(relErr(customerLifetimeValue(model, gg, c, LIFETIMES_CLV), clv[key][i]!)).toBeLessThan(1e-6);
      }
    }
  });

  it('scales with the margin and falls as the discount rate rises', () => {
    // Prepare
    const c = { x: 4, tx: 29.43, T: 38.43, mx: 53.4 };
    const m = models.with_bgnbd;
    // Act
    const revenue = customerLifetimeValue(m, gg, c, LIFETIMES_CLV);
    const margin = customerLifetimeValue(m, gg, c, { ...LIFETIMES_CLV, margin: 0.3 });
    const steeper = customerLifetimeValue(m, gg, c, { ...LIFETIMES_CLV, discountRate: 0.05 });
    // Assess
    expect(margin).toBeCloseTo(0.3 * revenue, 10);
    expect(steeper).toBeLessThan(revenue);
  });
});

describe('scoreCustomer', () => {
  it('returns P(alive), expected purchases, expected spend and CLV consistent with the single functions', () => {
    // Prepare
    const c = { x: 2, tx: 30.43, T: 38.86, mx: 22.35 };
    const m = models.with_bgnbd;
    // Act
    const s = scoreCustomer(m, gg, c, { horizon: 39, clv: LIFETIMES_CLV });
    // Assess
    expect(s.pAlive).toBe(pAlive(m, c));
    expect(s.expectedPurchases).toBe(expectedPurchases(m, c, 39));
    expect(relErr(s.expectedPurchases, ref.bgnbd.cond_expected_purchases_39w[2]!)).toBeLessThan(1e-6);
    expect(relErr(s.expectedAverageSpend, ref.gamma_gamma.conditional_expected_average_profit[2]!)).toBeLessThan(1e-6);
    expect(relErr(s.clv, referenceClv(ref).with_bgnbd[2]!)).toBeLessThan(1e-6);
  });

  it('ranks a customer who has gone quiet below one who bought recently', () => {
    // Prepare
    const m = models.with_bgnbd;
    const quiet = { x: 5, tx: 5, T: 38, mx: 30 };
    const recent = { x: 5, tx: 37, T: 38, mx: 30 };
    // Act / Assess
    expect(pAlive(m, quiet)).toBeLessThan(pAlive(m, recent));
    expect(expectedPurchases(m, quiet, 13)).toBeLessThan(expectedPurchases(m, recent, 13));
  });

  it('gives a new customer’s expectation equal to the conditional one at x = t_x = T = 0', () => {
    // Prepare / Act / Assess
    for (const m of Object.values(models)) {
      expect(relErr(expectedPurchases(m, { x: 0, tx: 0, T: 0 }, 52), expectedPurchasesNewCustomer(m, 52))).toBeLessThan(1e-9);
    }
  });
});

describe('profileFromDays', () => {
  it('turns purchase days into (x, t_x, T) in periods, merging repeated days and ignoring later ones', () => {
    // Prepare
    const days = [100, 107, 107, 121, 200];
    // Act
    const p = profileFromDays(days, 128, 7, 12.5);
    // Assess
    expect(p).toEqual({ x: 2, tx: 3, T: 4, mx: 12.5 });
  });

  it('refuses a customer with no purchase by the scoring date', () => {
    // Prepare / Act / Assess
    expect(() => profileFromDays([200], 100, 7)).toThrow(RangeError);
  });
});
