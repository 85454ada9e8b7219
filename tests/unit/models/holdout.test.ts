import { describe, expect, it } from 'vitest';
import { compressRfm, conditionalExpectationTable, fitParetoNbd } from '../../../shared/models/index';
import { cdnowSummary, numbers, publishedValues } from './cdnow-fixture';

const summary = cdnowSummary();
const published = publishedValues();
const btyd = (() => {
  const [r, alpha, a, b] = numbers(published.get('BG/NBD|r alpha a b (full precision)'));
  return { r: r!, alpha: alpha!, a: a!, b: b! };
})();

describe('the holdout conditional-expectation table for CDNOW weeks 40–78', () => {
  it('has the published customers per calibration-frequency bin 0..7+', () => {
    // Prepare / Act
    const table = conditionalExpectationTable(summary, {}, 39);
    // Assess
    expect(table.bins.map((b) => b.label)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7+']);
    expect(table.bins.map((b) => b.customers)).toEqual(numbers(published.get('Conditional expectation table|bins x=0..7+ (n)')));
  });

  it('has the published mean actual holdout transactions per bin', () => {
    // Prepare
    const expected = numbers(published.get('Conditional expectation table|actual mean x* weeks 40-78 by bin'));
    // Act
    const table = conditionalExpectationTable(summary, {}, 39);
    // Assess
    table.bins.forEach((b, i) => expect(Math.abs(b.actualMean - expected[i]!)).toBeLessThan(5e-7));
    expect(table.actualTotal).toBe(1882);
  });

  it('matches the published BG/NBD conditional expectations per bin to 1e-5 relative', () => {
    // Prepare
    const expected = numbers(published.get('Conditional expectation table|BG/NBD CE by bin'));
    // Act
    const table = conditionalExpectationTable(summary, { bgnbd: { model: 'bgnbd', params: btyd } }, 39);
    // Assess: BTYD printed its estimates to 7 digits; the residual differences are below 5e-6.
    table.bins.forEach((b, i) => expect(Math.abs(b.predictedMean.bgnbd! / expected[i]! - 1)).toBeLessThan(1e-5));
  });

  it('matches the published Pareto/NBD conditional expectations per bin to their 3 decimals', () => {
    // Prepare
    const expected = numbers(published.get('Conditional expectation table|Pareto/NBD CE by bin'));
    const fit = fitParetoNbd(compressRfm(summary.x, summary.tx, summary.T));
    // Act
    const table = conditionalExpectationTable(summary, { pnbd: { model: 'paretoNbd', params: fit.params } }, 39);
    // Assess
    table.bins.forEach((b, i) => expect(Math.abs(b.predictedMean.pnbd! - expected[i]!)).toBeLessThan(1e-3));
  });

  it('reproduces the zero class: 0.23 predicted against 0.24 actual (334 of 1411)', () => {
    // Prepare / Act
    const table = conditionalExpectationTable(summary, { bgnbd: { model: 'bgnbd', params: btyd } }, 39);
    // Assess
    expect(table.bins[0]!.predictedMean.bgnbd).toBeCloseTo(0.23, 2);
    expect(table.bins[0]!.actualMean * 1411).toBeCloseTo(334, 6);
  });
});
