import { describe, expect, it } from 'vitest';
import { auc } from '../../../shared/measure/auc';

describe('auc', () => {
  it('is 1 when every positive scores above every negative, and 0 when below', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
  });

  it('counts ties as one half', () => {
    expect(auc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
    // one positive (0.5) ties one negative (0.5) and beats the other (0.1): (1 + 0.5) / 2
    expect(auc([0.5, 0.5, 0.1], [true, false, false])).toBe(0.75);
  });

  it('matches the pairwise definition on a hand-computed case', () => {
    const scores = [3, 1, 4, 1, 5, 9, 2, 6];
    const labels = [true, false, true, false, false, true, false, true];
    let wins = 0;
    let pairs = 0;
    scores.forEach((p, i) => scores.forEach((q, j) => {
      if (labels[i] && !labels[j]) {
        pairs++;
        wins += p > q ? 1 : p === q ? 0.5 : 0;
      }
    }));
    expect(auc(scores, labels)).toBeCloseTo(wins / pairs, 12);
  });

  it('is undefined (NaN) without both classes', () => {
    expect(auc([1, 2], [true, true])).toBeNaN();
  });
});
