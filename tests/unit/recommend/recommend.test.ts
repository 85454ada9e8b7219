import { describe, expect, it } from 'vitest';
import { recommend, recommendItemKnn, recommendPopular } from '../../../shared/recommend/recommend';
import { DEFAULT_PARAMS } from '../../../shared/recommend/train';
import type { HistoryEntry, RecModel } from '../../../shared/recommend/types';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

/**
 * A hand-made model. Defaults: history half-life 60 days, similarities squared, buy-again weight 3,
 * popularity prior 0.1 ('new' mode).
 *   A → B 0.8, C 0.4      B → A 0.8, D 0.5      C → A 0.4
 */
function model(): RecModel {
  return {
    version: 'v1',
    fittedAt: new Date(NOW).toISOString(),
    items: new Map([
      ['A', { neighbours: [['B', 0.8], ['C', 0.4]], category: 'decor' }],
      ['B', { neighbours: [['A', 0.8], ['D', 0.5]], category: 'decor' }],
      ['C', { neighbours: [['A', 0.4]], category: 'kitchen' }],
      ['D', { neighbours: [], category: 'tea' }],
      ['E', { neighbours: [], category: 'tea' }],
    ]),
    popular: ['P1', 'P2', 'P3', 'E', 'D'],
    popularByCategory: new Map([
      ['decor', ['B', 'A']],
      ['tea', ['E', 'D']],
      ['kitchen', ['C']],
    ]),
    // Pinned, so the hand-computed scores below do not move when the defaults are retuned.
    params: { ...DEFAULT_PARAMS, historyHalfLifeDays: 60, similarityPower: 2, repeatWeight: 3, popularityPrior: 0.1, browseWeight: 0.3 },
    stats: { users: 0, items: 5, interactions: 0, neighbours: 5 },
  };
}

const bought = (sku: string, daysAgo: number, category?: string): HistoryEntry => ({ sku, t: NOW - daysAgo * DAY, kind: 'purchase', ...(category ? { category } : {}) });
const viewed = (sku: string, daysAgo: number): HistoryEntry => ({ sku, t: NOW - daysAgo * DAY, kind: 'browse' });
const skus = (list: { sku: string }[]) => list.map((r) => r.sku);

// A bought 60 days ago (weight ½), B today (weight 1). Neighbour sums, similarities squared:
//   B: ½·0.64 = 0.32   C: ½·0.16 = 0.08   A: 1·0.64 = 0.64   D: 1·0.25 = 0.25   (max 0.64)
// Buy again (max 1): A ½, B 1. Score = neighbour/0.64 + 3 × buy-again:
//   B 0.5 + 3 = 3.5   A 1 + 1.5 = 2.5   D 0.390625   C 0.125
const history = [bought('A', 60), bought('B', 0)];

describe('recommend', () => {
  it('ranks neighbours and re-buys by the hand-computed scores when the recent-purchase rule is off', () => {
    // Act
    const out = recommend(model(), history, { now: NOW, count: 4, excludeRecentPurchases: false });

    // Assess
    expect(out).toEqual([
      { sku: 'B', source: 'personal', score: expect.closeTo(3.5, 12) },
      { sku: 'A', source: 'personal', score: expect.closeTo(2.5, 12) },
      { sku: 'D', source: 'personal', score: expect.closeTo(0.390625, 12) },
      { sku: 'C', source: 'personal', score: expect.closeTo(0.125, 12) },
    ]);
  });

  it('does not offer again what was bought in the last 90 days, then backfills from popular', () => {
    // Act: A (60 days) and B (today) are recent; their category, decor, has nothing else to offer.
    const out = recommend(model(), history, { now: NOW, count: 4 });

    // Assess
    expect(out.map((r) => [r.sku, r.source])).toEqual([
      ['D', 'personal'],
      ['C', 'personal'],
      ['P1', 'popular'],
      ['P2', 'popular'],
    ]);
  });

  it('offers recent purchases again when their category is consumable', () => {
    // Act
    const out = recommend(model(), history, { now: NOW, count: 4, consumableCategories: ['decor'] });

    // Assess
    expect(skus(out)).toEqual(['B', 'A', 'D', 'C']);
  });

  it('offers an item bought longer ago than recentDays again', () => {
    // Prepare: A 120 days ago (weight ¼): B 0.16, C 0.04, A 0.64, D 0.25; buy again A ¼, B 1.
    // A: 1 + 3·¼ = 1.75, D 0.390625, C 0.0625; B is recent and excluded.
    const older = [bought('A', 120), bought('B', 0)];

    // Act
    const out = recommend(model(), older, { now: NOW, count: 3 });

    // Assess
    expect(out).toEqual([
      { sku: 'A', source: 'personal', score: expect.closeTo(1.75, 12) },
      { sku: 'D', source: 'personal', score: expect.closeTo(0.390625, 12) },
      { sku: 'C', source: 'personal', score: expect.closeTo(0.0625, 12) },
    ]);
  });

  it('honours recentDays and a category carried on the history entry', () => {
    // Act: with a 30-day window A (60 days ago) may come back; B's own entry says it is tea, consumable.
    const out = recommend(model(), [bought('A', 60), bought('B', 0, 'tea')], { now: NOW, count: 2, recentDays: 30, consumableCategories: ['tea'] });

    // Assess
    expect(skus(out)).toEqual(['B', 'A']);
  });

  it("in 'new' mode leaves out everything bought, then falls back to the user's categories and popular items", () => {
    // Act
    const own = recommend(model(), history, { now: NOW, count: 4, mode: 'new', excludeRecentPurchases: false });
    const withTea = recommend(model(), history, { now: NOW, count: 4, mode: 'new', categories: ['tea'] });

    // Assess: decor (the history's category) holds only A and B, both bought; tea offers E (D is taken).
    expect(own.map((r) => [r.sku, r.source])).toEqual([
      ['D', 'personal'],
      ['C', 'personal'],
      ['P1', 'popular'],
      ['P2', 'popular'],
    ]);
    expect(withTea.map((r) => [r.sku, r.source])).toEqual([
      ['D', 'personal'],
      ['C', 'personal'],
      ['E', 'category'],
      ['P1', 'popular'],
    ]);
  });

  it("in 'new' mode lets a trending candidate overtake a slightly better-linked one (popularity prior)", () => {
    // Prepare: the user bought Q. Q → X 0.5, Y 0.45; popular [P1, Y, P2, P3, P4] (n = 5).
    // Scaled neighbour scores (similarities squared): X 0.25/0.25 = 1, Y 0.2025/0.25 = 0.81.
    // Prior 0.1 × (5 − rank)/5: Y (rank 1) + 0.08 = 0.89; X is not trending: 1. Prior 0.3: Y 0.81 + 0.24 = 1.05,
    // and the list's scores are rescaled to a maximum of 1: Y 1, X 1/1.05.
    const base = model();
    const withQ: RecModel = {
      ...base,
      items: new Map([...base.items, ['Q', { neighbours: [['X', 0.5], ['Y', 0.45]] }]]),
      popular: ['P1', 'Y', 'P2', 'P3', 'P4'],
    };
    const strongPrior: RecModel = { ...withQ, params: { ...withQ.params, popularityPrior: 0.3 } };

    // Act
    const mild = recommend(withQ, [bought('Q', 0)], { now: NOW, count: 2, mode: 'new' });
    const strong = recommend(strongPrior, [bought('Q', 0)], { now: NOW, count: 2, mode: 'new' });
    const all = recommend(strongPrior, [bought('Q', 200)], { now: NOW, count: 2, excludeRecentPurchases: false });

    // Assess
    expect(mild).toEqual([
      { sku: 'X', source: 'personal', score: expect.closeTo(1, 12) },
      { sku: 'Y', source: 'personal', score: expect.closeTo(0.89, 12) },
    ]);
    expect(strong).toEqual([
      { sku: 'Y', source: 'personal', score: expect.closeTo(1, 12) },
      { sku: 'X', source: 'personal', score: expect.closeTo(1 / 1.05, 12) },
    ]);
    // 'all' mode has no prior: buy-again Q (3) first, then X (1) ahead of Y (0.81).
    expect(skus(all)).toEqual(['Q', 'X']);
  });

  it('recommends an item the user keeps viewing but has not bought', () => {
    // Prepare: C viewed today (weight 0.3): A gets 0.3·0.16 = 0.048 (max), buy-again C 0.3 (max).
    // A: 1, C: 3. Views are not purchases, so the recent-purchase rule leaves C alone.
    const out = recommend(model(), [viewed('C', 0)], { now: NOW, count: 4 });

    // Assess
    expect(out.map((r) => [r.sku, r.source])).toEqual([
      ['C', 'personal'],
      ['A', 'personal'],
      ['P1', 'popular'],
      ['P2', 'popular'],
    ]);
  });

  it('gives a user with no history the popular list', () => {
    expect(recommend(model(), [], { now: NOW, count: 3 }).map((r) => [r.sku, r.source])).toEqual([
      ['P1', 'popular'],
      ['P2', 'popular'],
      ['P3', 'popular'],
    ]);
  });

  it('gives users who refused personalisation the same popular list whatever they bought', () => {
    // Act: P1 was bought yesterday, yet the refuser's list is the everyone-list: nothing of theirs is used.
    const refuser = recommend(model(), [bought('P1', 1), bought('A', 2)], { now: NOW, count: 4, personalised: false });
    const other = recommend(model(), [bought('C', 5)], { now: NOW, count: 4, personalised: false });

    // Assess
    expect(refuser.map((r) => [r.sku, r.source])).toEqual([
      ['P1', 'popular'],
      ['P2', 'popular'],
      ['P3', 'popular'],
      ['E', 'popular'],
    ]);
    expect(other).toEqual(refuser);
  });

  it('returns fewer than count only when the model has nothing else to offer', () => {
    expect(recommend(model(), [], { now: NOW, count: 20 })).toHaveLength(5);
  });
});

describe('the evaluation baselines', () => {
  it('item-kNN sums plain similarities over the distinct bought items', () => {
    // A → B 0.8, C 0.4; B → A 0.8, D 0.5: A 0.8, B 0.8 (tie: A first), D 0.5, C 0.4.
    expect(skus(recommendItemKnn(model(), ['A', 'B', 'A'], { count: 4 }))).toEqual(['A', 'B', 'D', 'C']);
    expect(recommendItemKnn(model(), ['A', 'B'], { count: 4, mode: 'new' }).map((r) => [r.sku, r.source])).toEqual([
      ['D', 'personal'],
      ['C', 'personal'],
      ['P1', 'popular'],
      ['P2', 'popular'],
    ]);
  });

  it('popularity is the popular list minus the excluded items', () => {
    expect(skus(recommendPopular(model(), ['P1', 'P3'], 3))).toEqual(['P2', 'E', 'D']);
  });
});
