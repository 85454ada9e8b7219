import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProductCode, parseOnlineRetail, RetailParseError } from '../../../shared/recommend/online-retail';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

describe('parseOnlineRetail', () => {
  it('reads the original columns, quoted descriptions included, and drops what is not a purchase', () => {
    // Prepare
    const text = [
      HEADER,
      '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
      '536381,82567,"AIRLINE LOUNGE,METAL SIGN",2,2010-12-01 09:41:00,2.1,15311.0,United Kingdom',
      'C536379,22423,REGENCY CAKESTAND 3 TIER,-1,2010-12-01 09:41:00,12.75,14527.0,United Kingdom',
      '536414,22139,,56,2010-12-01 11:52:00,0.0,,United Kingdom',
      '536370,POST,POSTAGE,3,2010-12-01 08:45:00,18.0,12583.0,France',
      '536589,21777,,-10,2010-12-01 16:50:00,0.0,16000.0,United Kingdom',
      '',
    ].join('\n');

    // Act
    const { interactions, counts } = parseOnlineRetail(text);

    // Assess
    expect(interactions).toEqual([
      { userId: '17850', sku: '85123A', t: Date.UTC(2010, 11, 1, 8, 26), kind: 'purchase', quantity: 6, name: 'WHITE HANGING HEART T-LIGHT HOLDER' },
      { userId: '15311', sku: '82567', t: Date.UTC(2010, 11, 1, 9, 41), kind: 'purchase', quantity: 2, name: 'AIRLINE LOUNGE,METAL SIGN' },
    ]);
    expect(counts).toEqual({ rows: 6, kept: 2, cancellations: 1, noCustomer: 1, nonPositive: 1, nonProduct: 1 });
  });

  it('reads the bundled slice, with its categories', () => {
    // Act
    const { interactions, counts } = parseOnlineRetail(readFileSync('data/online-retail-slice.csv', 'utf8'));

    // Assess
    expect(interactions[0]).toEqual({ userId: '17850', sku: '85123A', t: Date.UTC(2010, 11, 1, 8, 26), kind: 'purchase', quantity: 6, category: 'lighting' });
    expect(counts.rows).toBe(36_378);
    expect(counts.kept + counts.cancellations + counts.noCustomer + counts.nonPositive + counts.nonProduct).toBe(counts.rows);
    // `grep -c '^C' data/online-retail-slice.csv`: the slice's cancellation rows.
    expect(counts.cancellations).toBe(742);
  });

  it('appends to the same array and counts across files', () => {
    // Prepare
    const one = `${HEADER}\n536365,85123A,X,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n`;

    // Act
    const first = parseOnlineRetail(one);
    parseOnlineRetail(one, first.interactions, first.counts);

    // Assess
    expect(first.interactions).toHaveLength(2);
    expect(first.counts.rows).toBe(2);
  });

  it('rejects an unknown header and a bad date, naming the line', () => {
    expect(() => parseOnlineRetail('a,b,c\n1,2,3\n')).toThrow(RetailParseError);
    expect(() => parseOnlineRetail(`${HEADER}\n1,85123A,X,6,yesterday,2.55,17850.0,UK\n`)).toThrow(/line 2: bad date/);
  });
});

describe('isProductCode', () => {
  it('keeps five-digit codes with or without a suffix and nothing else', () => {
    expect(['85123A', '22423', '15056BL', '79323LP'].every(isProductCode)).toBe(true);
    expect(['POST', 'DOT', 'M', 'm', 'C2', 'D', 'S', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS', 'B', 'gift_0001_20', 'DCGSSBOY'].some(isProductCode)).toBe(false);
  });
});
