import { describe, it, expect } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { QuantileSketch, tierCuts, tierOf } from '../../../shared/dormancy/tiers';
import { seededRandom } from '../../fixtures/builders';

/** Log-normal spend (median ~150, long right tail), from a seeded source so every run sees the same values. */
function logNormalValues(n: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const u1 = 1 - random();
    const u2 = random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(5 + 1.2 * z);
  });
}

const sketchOf = (values: number[]) => {
  const sketch = new QuantileSketch();
  for (const v of values) sketch.add(v);
  return sketch;
};

/** The exact q-quantile as the sketch defines it: the value at rank floor(q·n) of the sorted values. */
const exactQuantile = (sorted: number[], q: number) => sorted[Math.floor(q * sorted.length)]!;

const QS = [0.05, 0.1, 0.25, 0.4, 0.5, 0.8, 0.9, 0.99];

describe('QuantileSketch', () => {
  const values = logNormalValues(50_000, 7);
  const sorted = [...values].sort((a, b) => a - b);
  const sketch = sketchOf(values);

  it.each(QS)('estimates the %s quantile of a log-normal population within 1% of the exact value', (q) => {
    // Prepare
    const exact = exactQuantile(sorted, q);

    // Act
    const estimate = sketch.quantile(q);

    // Assess
    expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(0.01);
  });

  it('never cuts above the exact quantile, so the user at the quantile lands in the upper tier', () => {
    // Prepare
    const exacts = QS.map((q) => exactQuantile(sorted, q));

    // Act
    const estimates = QS.map((q) => sketch.quantile(q));

    // Assess
    estimates.forEach((estimate, i) => expect(estimate).toBeLessThanOrEqual(exacts[i]!));
  });

  it('estimates quantiles of the evenly spread values 1..10,000 within 1%', () => {
    // Prepare
    const even = sketchOf(Array.from({ length: 10_000 }, (_, i) => i + 1));

    // Act
    const median = even.quantile(0.5);
    const p80 = even.quantile(0.8);

    // Assess
    expect(median).toBeGreaterThanOrEqual(5001 * 0.99);
    expect(median).toBeLessThanOrEqual(5001);
    expect(p80).toBeGreaterThanOrEqual(8001 * 0.99);
    expect(p80).toBeLessThanOrEqual(8001);
  });

  it('keeps tied values together: every user with the common value is in the upper tier', () => {
    // Prepare: 100 users all worth 50.
    const ties = sketchOf(Array.from({ length: 100 }, () => 50));

    // Act
    const cuts = { high: ties.quantile(0.8), medium: ties.quantile(0.4) };

    // Assess
    expect(tierOf(50, cuts)).toBe('high');
  });

  it('counts the values added and ignores values that are not finite', () => {
    // Prepare
    const s = sketchOf([1, 2, 3]);

    // Act
    s.add(Number.NaN);
    s.add(Number.POSITIVE_INFINITY);

    // Assess
    expect(s.count).toBe(3);
  });

  it('answers 0 for any quantile of an empty sketch', () => {
    // Prepare
    const empty = new QuantileSketch();

    // Act
    const q = empty.quantile(0.8);

    // Assess
    expect(q).toBe(0);
  });

  it('merges segment sketches into exactly the sketch of all their values', () => {
    // Prepare
    const parts = [values.slice(0, 10_000), values.slice(10_000, 35_000), values.slice(35_000)];

    // Act
    const merged = parts.map(sketchOf).reduce((all, s) => all.merge(s), new QuantileSketch());

    // Assess
    expect(merged.count).toBe(sketch.count);
    expect(merged.toJSON()).toEqual(sketch.toJSON());
    expect(QS.map((q) => merged.quantile(q))).toEqual(QS.map((q) => sketch.quantile(q)));
  });

  it('survives a JSON round trip with the same count and quantiles', () => {
    // Prepare
    const wire = JSON.stringify(sketch);

    // Act
    const restored = QuantileSketch.fromJSON(JSON.parse(wire) as ReturnType<QuantileSketch['toJSON']>);

    // Assess
    expect(restored.count).toBe(sketch.count);
    expect(QS.map((q) => restored.quantile(q))).toEqual(QS.map((q) => sketch.quantile(q)));
  });

  it('stays small on the wire: only occupied buckets are serialised', () => {
    // Prepare
    const few = sketchOf([10, 10, 20]);

    // Act
    const json = few.toJSON();

    // Assess
    expect(Object.values(json.counts).sort()).toEqual([1, 2]);
  });
});

describe('tierOf', () => {
  const cuts = { high: 500, medium: 100 };

  it.each([
    [500, 'high'],
    [10_000, 'high'],
    [499.99, 'medium'],
    [100, 'medium'],
    [99.99, 'low'],
    [0, 'low'],
  ] as const)('puts a value of %s in the %s tier', (value, tier) => {
    // Prepare / Act
    const result = tierOf(value, cuts);

    // Assess
    expect(result).toBe(tier);
  });
});

describe('tierCuts', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i + 1);

  it('uses the configured thresholds with the threshold method, whatever the population', () => {
    // Prepare
    const config = { ...defaultConfig().tiers, method: 'threshold' as const, highThreshold: 800, mediumThreshold: 150 };

    // Act
    const cuts = tierCuts(config, sketchOf(values));

    // Assess
    expect(cuts).toEqual({ high: 800, medium: 150 });
  });

  it('cuts at the configured quantiles of the population with the quantile method', () => {
    // Prepare
    const config = { ...defaultConfig().tiers, method: 'quantile' as const, highQuantile: 0.8, mediumQuantile: 0.4 };

    // Act
    const cuts = tierCuts(config, sketchOf(values));

    // Assess
    expect(cuts.high).toBeGreaterThanOrEqual(801 * 0.99);
    expect(cuts.high).toBeLessThanOrEqual(801);
    expect(cuts.medium).toBeGreaterThanOrEqual(401 * 0.99);
    expect(cuts.medium).toBeLessThanOrEqual(401);
  });

  it('puts about the top fifth of the population in the high tier with the default quantiles', () => {
    // Prepare
    const population = logNormalValues(20_000, 11);
    const cuts = tierCuts(defaultConfig().tiers, sketchOf(population));

    // Act
    const high = population.filter((v) => tierOf(v, cuts) === 'high').length / population.length;
    const low = population.filter((v) => tierOf(v, cuts) === 'low').length / population.length;

    // Assess
    expect(high).toBeGreaterThan(0.19);
    expect(high).toBeLessThan(0.21);
    expect(low).toBeGreaterThan(0.39);
    expect(low).toBeLessThan(0.41);
  });
});
