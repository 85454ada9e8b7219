import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { assess } from '../../../shared/dormancy/classify';
import { FitInput, scoreProfile, usableModel } from '../../../shared/dormancy/customer-model';
import { simulateCustomers } from '../../../shared/models';
import type { Profile } from '../../../shared/profiles/aggregate';
import { profileWith } from '../../fixtures/builders';

const DAY_MS = 86_400_000;
const AS_OF = new Date('2026-06-30T00:00:00Z');
const config = defaultConfig();
const day = (offsetDays: number) => new Date(AS_OF.getTime() - offsetDays * DAY_MS).toISOString().slice(0, 10);

/** A profile with BTYD statistics x, t_x, T (weeks) as of AS_OF. */
function btydProfile(userId: string, x: number, txWeeks: number, TWeeks: number, mean = 40): Profile {
  const first = day(Math.round(TWeeks * 7));
  const last = day(Math.round((TWeeks - txWeeks) * 7));
  return profileWith({
    userId,
    frequency: x,
    purchaseDays: x + 1,
    firstPurchaseDay: first,
    lastPurchaseDay: last,
    firstPurchaseAt: `${first}T02:00:00.000Z`,
    lastPurchaseAt: `${last}T02:00:00.000Z`,
    lastSeenAt: `${last}T02:00:00.000Z`,
    monetaryTotal: mean * (x + 1),
    monetaryMean: mean,
    repeatMonetaryMean: x > 0 ? mean : 0,
  });
}

function simulatedBase(customers: number) {
  const sim = simulateCustomers({ customers, seed: 7, params: { r: 0.24, alpha: 4.4, a: 0.79, b: 2.4 }, spend: { p: 6.25, q: 3.74, gamma: 15.44 } });
  const input = new FitInput(AS_OF, 7);
  for (let i = 0; i < customers; i++) {
    // Round to whole days, as profiles are; keep t_x ≤ T after rounding.
    const T = Math.max(1, Math.round(sim.T[i]! * 7)) / 7;
    const tx = Math.min(T, Math.round(sim.tx[i]! * 7) / 7);
    input.add(btydProfile(`sim-${i}`, sim.x[i]!, tx, T, sim.mx[i]! || 30));
  }
  return input;
}

describe('fitting the customer base from profiles', () => {
  it('recovers the simulated purchase process and prefers MBG/NBD', () => {
    const model = simulatedBase(20_000).fit(config.model, AS_OF);

    expect(model.transaction?.model).toBe('mbgnbd');
    expect(model.customers).toBe(20_000);
    expect(model.fits.bgnbd?.ok).toBe(true);
    expect(model.fits.bgnbd!.params!.r).toBeCloseTo(0.24, 1);
    expect(model.spend).not.toBeNull();
    expect(model.fallbackReason).toBeNull();
  });

  it('falls back to rules, saying why, with too few repeat customers', () => {
    const input = new FitInput(AS_OF, 7);
    for (let i = 0; i < 30; i++) input.add(btydProfile(`few-${i}`, i % 3, 2, 20));

    const model = input.fit(config.model, AS_OF);

    expect(model.transaction).toBeNull();
    expect(model.fallbackReason).toMatch(/only 20 repeat customers/);
    expect(usableModel(model, AS_OF, config.model)).toBeNull();
  });

  it('ignores users who never purchased or whose first purchase is on the as-of day', () => {
    const input = new FitInput(AS_OF, 7);
    input.add(profileWith({ firstPurchaseDay: undefined, lastPurchaseDay: undefined }));
    input.add(btydProfile('today', 0, 0, 0));

    expect(input.size).toBe(0);
  });
});

describe('scoring a profile with the fitted model', () => {
  const model = simulatedBase(20_000).fit(config.model, AS_OF);

  it('gives a frequent buyer who stopped long ago a lower P(alive) than one who bought recently', () => {
    const stopped = scoreProfile(model, btydProfile('stopped', 8, 10, 38), AS_OF, config.model)!;
    const recent = scoreProfile(model, btydProfile('recent', 8, 37, 38), AS_OF, config.model)!;

    expect(stopped.pAlive).toBeLessThan(0.3);
    expect(recent.pAlive).toBeGreaterThan(0.8);
    expect(recent.clv).toBeGreaterThan(stopped.clv);
  });

  it('lets the model call a user dormant whom the day rules still call active', () => {
    const profile = btydProfile('fast-then-gone', 12, 8, 20);
    const score = scoreProfile(model, profile, AS_OF, config.model);

    const byRules = assess(profile, AS_OF, config.dormancy);
    const withModel = assess(profile, AS_OF, config.dormancy, { score, thresholds: config.model });

    expect(byRules.state).not.toBe('dormant');
    expect(withModel).toMatchObject({ state: 'dormant', rule: 'model_p_alive' });
    expect(withModel.pAlive).toBeLessThan(config.model.pAliveDormantBelow);
  });

  it('never lets the model flag a user within 30 days of their last purchase', () => {
    const profile = btydProfile('just-bought', 12, 19.5, 20);
    const score = { ...scoreProfile(model, profile, AS_OF, config.model)!, pAlive: 0.01 };

    expect(assess(profile, AS_OF, config.dormancy, { score, thresholds: config.model }).state).toBe('active');
  });

  it('does not use a model older than maxAgeDays', () => {
    const later = new Date(AS_OF.getTime() + (config.model.maxAgeDays + 1) * DAY_MS);

    expect(usableModel(model, AS_OF, config.model)).toBe(model);
    expect(usableModel(model, later, config.model)).toBeNull();
    expect(usableModel(model, AS_OF, { ...config.model, enabled: false })).toBeNull();
  });
});
