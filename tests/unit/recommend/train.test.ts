import { describe, expect, it } from 'vitest';
import { TopK } from '../../../shared/recommend/top-k';
import { DEFAULT_PARAMS, RecommenderTrainer, trainItemKnn, trainRecommender, versionOf } from '../../../shared/recommend/train';
import type { Interaction } from '../../../shared/recommend/types';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
const buy = (userId: string, sku: string, t = NOW, extra: Partial<Interaction> = {}): Interaction => ({ userId, sku, t, kind: 'purchase', ...extra });
const neighboursOf = (model: ReturnType<typeof trainRecommender>, sku: string) => model.items.get(sku)!.neighbours;

describe('trainItemKnn (the plain baseline)', () => {
  it('gives binary cosine similarities, ties to the smaller sku', () => {
    // Prepare: u1 {A,B}, u2 {A,B,C}, u3 {A,C}: |A| = √3, |B| = |C| = √2; A·B = A·C = 2, B·C = 1.
    const data = [buy('u1', 'A'), buy('u1', 'B'), buy('u2', 'A'), buy('u2', 'B'), buy('u2', 'C'), buy('u3', 'A'), buy('u3', 'C')];

    // Act
    const model = trainItemKnn(data);

    // Assess
    const ab = 2 / Math.sqrt(3 * 2);
    const bc = 1 / Math.sqrt(2 * 2);
    expect(neighboursOf(model, 'A').map(([s]) => s)).toEqual(['B', 'C']);
    expect(neighboursOf(model, 'A')[0]![1]).toBeCloseTo(ab, 12);
    expect(neighboursOf(model, 'A')[1]![1]).toBeCloseTo(ab, 12);
    expect(neighboursOf(model, 'B')).toEqual([
      ['A', expect.closeTo(ab, 12)],
      ['C', expect.closeTo(bc, 12)],
    ]);
  });

  it('ignores views and counts a repeat purchase once', () => {
    // Prepare: u1 buys A twice and views B; u2 buys A and B. Binary: A = {u1,u2}, B = {u2}.
    const data = [buy('u1', 'A'), buy('u1', 'A'), { ...buy('u1', 'B'), kind: 'browse' as const }, buy('u2', 'A'), buy('u2', 'B')];

    // Act
    const model = trainItemKnn(data);

    // Assess: cos = 1 / (√2 · 1)
    expect(neighboursOf(model, 'A')).toEqual([['B', expect.closeTo(1 / Math.SQRT2, 12)]]);
    expect(model.popular).toEqual(['A', 'B']);
  });
});

describe('trainRecommender (Rewake)', () => {
  it('weights users by 1/√(their items), repeats by log(1 + n), and is asymmetric (alpha 0.6)', () => {
    // Prepare: u1 {A, B}; u2 {A, B, C}; u3 buys A twice and C once. All at the fit time: no decay.
    const data = [buy('u1', 'A'), buy('u1', 'B'), buy('u2', 'A'), buy('u2', 'B'), buy('u2', 'C'), buy('u3', 'A'), buy('u3', 'A'), buy('u3', 'C')];

    // Act
    const model = trainRecommender(data, { fittedAt: new Date(NOW), params: { basketWeight: 0 } });

    // Assess
    const [w1, w2, w3] = [1 / Math.sqrt(2), 1 / Math.sqrt(3), 1 / Math.sqrt(2)];
    const [l2, l3] = [Math.log(2), Math.log(3)];
    const normA = Math.sqrt(w1 * l2 ** 2 + w2 * l2 ** 2 + w3 * l3 ** 2);
    const normB = Math.sqrt((w1 + w2) * l2 ** 2);
    const dotAB = (w1 + w2) * l2 * l2;
    // sim(i→j) = i·j / (‖i‖^(2α) ‖j‖^(2(1−α))) with α = 0.6
    const aToB = dotAB / (normA ** 1.2 * normB ** 0.8);
    const bToA = dotAB / (normB ** 1.2 * normA ** 0.8);
    expect(neighboursOf(model, 'A').find(([s]) => s === 'B')![1]).toBeCloseTo(aToB, 12);
    expect(neighboursOf(model, 'B').find(([s]) => s === 'A')![1]).toBeCloseTo(bToA, 12);
    expect(aToB).not.toBeCloseTo(bToA, 3);
  });

  it('adds each order as a row of its own (basketWeight), so items of one order go together more', () => {
    // Prepare: u1 orders {A, B} at t1 and {C} at t2; u2 orders {A, C} at t1. No decay, plain cosine
    // (α ½); every strength is 1, so every value is ln 2, which cancels in a cosine: count them as 1.
    // Rows are weighted (items in the row)^−½, orders also × basketWeight 1.
    //   users:  u1 {A,B,C} w1 = 1/√3, u2 {A,C} w2 = 1/√2
    //   orders: {A,B} 1/√2, {C} 1, {A,C} 1/√2
    const t1 = NOW - 10 * DAY;
    const data = [buy('u1', 'A', t1), buy('u1', 'B', t1), buy('u1', 'C', NOW), buy('u2', 'A', t1), buy('u2', 'C', t1)];
    const params = { trainHalfLifeDays: Infinity, alpha: 0.5 };

    // Act
    const usersOnly = trainRecommender(data, { fittedAt: new Date(NOW), params: { ...params, basketWeight: 0 } });
    const withOrders = trainRecommender(data, { fittedAt: new Date(NOW), params: { ...params, basketWeight: 1 } });

    // Assess: B's neighbours. B·A gains the {A,B} order, B·C gains nothing; the norms gain every order.
    const [w1, w2, o] = [1 / Math.sqrt(3), 1 / Math.sqrt(2), 1 / Math.SQRT2];
    const nA = w1 + w2;
    const nB = w1;
    const nC = w1 + w2;
    expect(neighboursOf(usersOnly, 'B')).toEqual([
      ['A', expect.closeTo(w1 / Math.sqrt(nB * nA), 12)],
      ['C', expect.closeTo(w1 / Math.sqrt(nB * nC), 12)],
    ]);
    const [oA, oB, oC] = [nA + o + o, nB + o, nC + 1 + o];
    expect(neighboursOf(withOrders, 'B')).toEqual([
      ['A', expect.closeTo((w1 + o) / Math.sqrt(oB * oA), 12)],
      ['C', expect.closeTo(w1 / Math.sqrt(oB * oC), 12)],
    ]);
    // The plain baseline has no order rows: binary cosine over users, B→A = 1/√(1·2).
    expect(neighboursOf(trainItemKnn(data), 'B')[0]).toEqual(['A', expect.closeTo(1 / Math.SQRT2, 12)]);
  });

  it('lets an old co-purchase count less than a fresh one (half-life 90 days)', () => {
    // Prepare: u1 bought A and B 90 days ago (strength ½); u2 bought A and C today (strength 1).
    // Both users have 2 items (same weight w), so sim(A→X) ∝ ln(1 + s_X)^1.2, since
    // A·X = w ln(1+s)² and ‖X‖^0.8 = (√w ln(1+s))^0.8.
    const data = [buy('u1', 'A', NOW - 90 * DAY), buy('u1', 'B', NOW - 90 * DAY), buy('u2', 'A'), buy('u2', 'C')];

    // Act
    const model = trainRecommender(data, { fittedAt: new Date(NOW) });

    // Assess
    const [[first, simC], [second, simB]] = neighboursOf(model, 'A') as [[string, number], [string, number]];
    expect([first, second]).toEqual(['C', 'B']);
    expect(simC / simB).toBeCloseTo((Math.log(2) / Math.log(1.5)) ** 1.2, 10);
  });

  it('ranks popularity by recent buyers: one buyer today beats two a year ago', () => {
    // Prepare
    const data = [buy('u1', 'OLD', NOW - 365 * DAY), buy('u2', 'OLD', NOW - 365 * DAY), buy('u3', 'NEW')];

    // Act
    const rewake = trainRecommender(data, { fittedAt: new Date(NOW) });
    const plain = trainItemKnn(data);

    // Assess: 2 × 2^(−365/30) ≈ 0.0005 < 1; the all-time baseline counts 2 > 1.
    expect(rewake.popular).toEqual(['NEW', 'OLD']);
    expect(plain.popular).toEqual(['OLD', 'NEW']);
  });

  it('counts a view as browseWeight of a purchase in popularity', () => {
    // Prepare: V viewed by 3 users (3 × 0.3 = 0.9), P bought by 1 (1).
    const view = (userId: string) => ({ ...buy(userId, 'V'), kind: 'browse' as const });
    const data = [view('u1'), view('u2'), view('u3'), buy('u4', 'P')];

    // Act
    const model = trainRecommender(data, { fittedAt: new Date(NOW) });

    // Assess
    expect(DEFAULT_PARAMS.browseWeight).toBe(0.3);
    expect(model.popular).toEqual(['P', 'V']);
  });

  it('keeps per-category popular lists, and the top `neighbours` only', () => {
    // Prepare: H is bought with everything; X1..X3 each once with H.
    const data = [
      buy('u1', 'H', NOW, { category: 'tea' }),
      buy('u1', 'X1', NOW, { category: 'cups' }),
      buy('u2', 'H'),
      buy('u2', 'X2', NOW, { category: 'cups' }),
      buy('u2', 'X1'),
      buy('u3', 'H'),
      buy('u3', 'X3', NOW, { category: 'tea' }),
    ];

    // Act
    const model = trainRecommender(data, { fittedAt: new Date(NOW), params: { neighbours: 2 } });

    // Assess
    expect(neighboursOf(model, 'H')).toHaveLength(2);
    expect(model.popularByCategory.get('cups')).toEqual(['X1', 'X2']);
    expect(model.popularByCategory.get('tea')).toEqual(['H', 'X3']);
    expect(model.stats).toMatchObject({ users: 3, items: 4, interactions: 7 });
  });

  it('does not depend on the order of the interactions', () => {
    // Prepare
    const data = [buy('u1', 'A'), buy('u1', 'B'), buy('u2', 'A'), buy('u2', 'C'), buy('u3', 'B'), buy('u3', 'C'), buy('u3', 'D', NOW - 10 * DAY)];

    // Act
    const forward = trainRecommender(data, { fittedAt: new Date(NOW) });
    const backward = trainRecommender([...data].reverse(), { fittedAt: new Date(NOW) });

    // Assess
    expect([...backward.items.entries()].sort()).toEqual([...forward.items.entries()].sort());
    expect(backward.popular).toEqual(forward.popular);
  });

  it('settles a sku category from the orders it was in: the intersection of their categories', () => {
    // Prepare
    const trainer = new RecommenderTrainer({ fittedAt: new Date(NOW) });
    trainer.add(buy('u1', 'X'));
    trainer.add(buy('u1', 'Y'));
    trainer.addCategoryEvidence('X', ['tea', 'cups']);
    trainer.addCategoryEvidence('X', ['tea', 'snacks']);
    trainer.addCategoryEvidence('Y', ['tea', 'cups']);

    // Act
    const model = trainer.train();

    // Assess
    expect(model.items.get('X')!.category).toBe('tea');
    expect(model.items.get('Y')!.category).toBeUndefined();
  });

  it('names the version after the fit time, sortably', () => {
    expect(versionOf(new Date('2011-12-10T01:02:03.456Z'))).toBe('20111210T010203456Z');
  });
});

describe('TopK', () => {
  it('keeps the k best, best first, equal scores in tie-break order', () => {
    // Prepare
    const top = new TopK<string>(3, (a, b) => (a < b ? -1 : a > b ? 1 : 0));

    // Act
    for (const [id, score] of [['e', 1], ['d', 5], ['c', 3], ['b', 3], ['a', 0.5], ['f', 3]] as const) top.push(id, score);

    // Assess
    expect(top.sorted()).toEqual([
      ['d', 5],
      ['b', 3],
      ['c', 3],
    ]);
  });
});
