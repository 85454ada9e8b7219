import { describe, expect, it } from 'vitest';
import {
  compressRfm,
  compressSpend,
  epochDay,
  formatDay,
  parseDay,
  summarizeTransactions,
  validateRfm,
} from '../../../shared/models/index';
import { thinRfm } from '../../../shared/models/rfm';
import { cdnowSummary, derivedRows } from './cdnow-fixture';

describe('summarizing CDNOW transactions with Hardie’s definitions', () => {
  it('reproduces x, t_x, T and x* for all 2357 customers of the derived summary', () => {
    // Prepare
    const expected = derivedRows();
    // Act
    const summary = cdnowSummary();
    // Assess
    const index = new Map(summary.ids.map((id, i) => [id, i]));
    expect(summary.ids).toHaveLength(2357);
    expect(expected).toHaveLength(2357);
    let mismatches = 0;
    for (const row of expected) {
      const i = index.get(row.cust);
      if (i === undefined) {
        mismatches++;
        continue;
      }
      if (summary.x[i] !== row.x || summary.xStar[i] !== row.xStar) mismatches++;
      // The derived file rounds t_x and T to 6 decimals.
      if (Math.abs(summary.tx[i]! - row.tx) > 1e-6 || Math.abs(summary.T[i]! - row.T) > 1e-6) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('counts 2457 calibration and 1882 holdout repeat transactions in total', () => {
    // Prepare / Act
    const summary = cdnowSummary();
    // Assess
    const sum = (a: Float64Array): number => a.reduce((s, v) => s + v, 0);
    expect(sum(summary.x)).toBe(2457);
    expect(sum(summary.xStar)).toBe(1882);
  });

  it('takes m_x as the mean of the repeat transactions only, matching the derived file', () => {
    // Prepare
    const expected = derivedRows();
    // Act
    const summary = cdnowSummary();
    // Assess
    const index = new Map(summary.ids.map((id, i) => [id, i]));
    let worst = 0;
    for (const row of expected) worst = Math.max(worst, Math.abs(summary.mx[index.get(row.cust)!]! - row.mx));
    expect(worst).toBeLessThan(1e-4); // the file has 3-decimal m_x
    expect(summary.x.filter((x) => x > 0)).toHaveLength(946);
  });
});

describe('summarizeTransactions', () => {
  it('merges same-day purchases into one transaction whose value is their sum', () => {
    // Prepare
    const d = (s: string): number => parseDay(s);
    const tx = [
      { customerId: 'a', day: d('2024-01-01'), amount: 10 },
      { customerId: 'a', day: d('2024-01-01'), amount: 5 },
      { customerId: 'a', day: d('2024-01-08'), amount: 20 },
      { customerId: 'a', day: d('2024-01-08'), amount: 2 },
      { customerId: 'a', day: d('2024-01-15'), amount: 8 },
    ];
    // Act
    const s = summarizeTransactions(tx, { calibrationEndDay: d('2024-01-29') });
    // Assess
    expect(s.x[0]).toBe(2);
    expect(s.tx[0]).toBe(2);
    expect(s.T[0]).toBe(4);
    expect(s.mx[0]).toBe(15); // (22 + 8) / 2; the first purchase is excluded
  });

  it('leaves out customers whose first purchase is after the calibration end', () => {
    // Prepare
    const tx = [
      { customerId: 'early', day: 100, amount: 1 },
      { customerId: 'late', day: 200, amount: 1 },
    ];
    // Act
    const s = summarizeTransactions(tx, { calibrationEndDay: 150 });
    // Assess
    expect(s.ids).toEqual(['early']);
  });

  it('counts purchases after the calibration end only as holdout purchases, up to the holdout end', () => {
    // Prepare
    const tx = [0, 10, 20, 30, 40].map((day) => ({ customerId: 'c', day, amount: 1 }));
    // Act
    const s = summarizeTransactions(tx, { calibrationEndDay: 20, holdoutEndDay: 30, periodDays: 1 });
    // Assess
    expect(s.x[0]).toBe(2);
    expect(s.xStar[0]).toBe(1);
    expect(s.tx[0]).toBe(20);
    expect(s.T[0]).toBe(20);
  });
});

describe('parseDay', () => {
  it('reads ISO dates, compact dates and timestamps by their written calendar date', () => {
    // Prepare / Act / Assess
    expect(parseDay('1997-09-30')).toBe(epochDay(1997, 9, 30));
    expect(parseDay('19970930')).toBe(epochDay(1997, 9, 30));
    expect(parseDay('1997-09-30T23:59:59+09:00')).toBe(epochDay(1997, 9, 30));
    expect(parseDay('1997-09-30 08:00:00')).toBe(epochDay(1997, 9, 30));
    expect(formatDay(epochDay(1997, 9, 30))).toBe('1997-09-30');
  });

  it('rejects impossible and malformed dates', () => {
    // Prepare / Act / Assess
    expect(parseDay('2023-02-30')).toBeNaN();
    expect(parseDay('2023-13-01')).toBeNaN();
    expect(parseDay('30/09/1997')).toBeNaN();
    expect(parseDay('')).toBeNaN();
  });
});

describe('compressRfm', () => {
  it('keeps every customer once: weights sum to the customers and rows are distinct', () => {
    // Prepare
    const s = cdnowSummary();
    // Act
    const c = compressRfm(s.x, s.tx, s.T);
    // Assess
    expect(c.customers).toBe(2357);
    expect(c.weight.reduce((a, b) => a + b, 0)).toBe(2357);
    const keys = new Set<string>();
    for (let r = 0; r < c.rows; r++) keys.add(`${c.x[r]},${c.tx[r]},${c.T[r]}`);
    expect(keys.size).toBe(c.rows);
    expect(c.rows).toBeLessThan(1100);
    for (let r = 0; r < c.rows; r++) {
      expect(c.xValues[c.xIndex[r]!]).toBe(c.x[r]);
      expect(c.txValues[c.txIndex[r]!]).toBe(c.tx[r]);
      expect(c.TValues[c.TIndex[r]!]).toBe(c.T[r]);
    }
  });

  it('refuses statistics no customer can have', () => {
    // Prepare / Act / Assess
    expect(() => validateRfm([1.5], [1], [2])).toThrow(RangeError);
    expect(() => validateRfm([1], [3], [2])).toThrow(/t_x ≤ T/);
    expect(() => validateRfm([0], [1], [2])).toThrow(/t_x must be 0/);
    expect(() => validateRfm([-1], [0], [2])).toThrow(RangeError);
    expect(() => compressRfm([1, 2], [0], [1])).toThrow(/same length/);
  });

  it('thins to a subsample of about the requested size without inventing rows', () => {
    // Prepare
    const s = cdnowSummary();
    const c = compressRfm(s.x, s.tx, s.T);
    // Act
    const t = thinRfm(c, 1000, 7);
    // Assess
    expect(t.customers).toBeGreaterThan(900);
    expect(t.customers).toBeLessThan(1100);
    expect(t.rows).toBeLessThanOrEqual(c.rows);
  });
});

describe('compressSpend', () => {
  it('groups the customers with x > 0 by x with their Σ ln m_x', () => {
    // Prepare
    const x = [0, 1, 2, 1];
    const m = [0, 10, 20, 30];
    // Act
    const d = compressSpend(x, m);
    // Assess
    expect(d.customers).toBe(3);
    expect(Array.from(d.xValues)).toEqual([1, 2]);
    expect(Array.from(d.groupCount)).toEqual([2, 1]);
    expect(d.groupSumLogM[0]).toBeCloseTo(Math.log(10) + Math.log(30), 12);
    expect(Array.from(d.totalSpend).sort((a, b) => a - b)).toEqual([10, 30, 40]);
  });

  it('refuses a repeat customer without a positive spend', () => {
    // Prepare / Act / Assess
    expect(() => compressSpend([1], [0])).toThrow(/m_x must be positive/);
  });
});
