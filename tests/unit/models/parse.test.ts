import { describe, expect, it } from 'vitest';
import { epochDay, parseCdnow, parseTransactionsCsv, TransactionParseError } from '../../../shared/models/index';
import { fixtureText } from './cdnow-fixture';

describe('parseTransactionsCsv', () => {
  it('reads customer_id, date and amount in any column order, ignoring other columns', () => {
    // Prepare
    const text = 'amount,store,customer_id,date\n12.5,x,c1,2024-03-01\n"1,000.00",y,"c,2",2024-03-02T10:00:00Z\n';
    // Act / Assess: a quoted amount with a thousands separator is not a number
    expect(() => parseTransactionsCsv(text)).toThrow(/line 3: bad amount/);
    const ok = parseTransactionsCsv('amount,store,customer_id,date\n12.5,x,c1,2024-03-01\n7,y,"c,2",2024-03-02T10:00:00Z\n');
    expect(ok).toEqual([
      { customerId: 'c1', day: epochDay(2024, 3, 1), amount: 12.5 },
      { customerId: 'c,2', day: epochDay(2024, 3, 2), amount: 7 },
    ]);
  });

  it('names the missing columns when the header is wrong', () => {
    // Prepare / Act / Assess
    expect(() => parseTransactionsCsv('id,when,value\n1,2024-01-01,3\n')).toThrow(/missing customer_id, date, amount/);
  });

  it('names the line of a bad date', () => {
    // Prepare / Act
    let error: unknown;
    try {
      parseTransactionsCsv('customer_id,date,amount\na,2024-01-01,1\nb,01/02/2024,1\n');
    } catch (err) {
      error = err;
    }
    // Assess
    expect(error).toBeInstanceOf(TransactionParseError);
    expect((error as TransactionParseError).line).toBe(3);
  });

  it('accepts Windows line endings and a byte-order mark', () => {
    // Prepare / Act
    const tx = parseTransactionsCsv('\uFEFFcustomer_id,date,amount\r\na,2024-01-01,1\r\n');
    // Assess
    expect(tx).toHaveLength(1);
  });
});

describe('parseCdnow', () => {
  it('reads all 6919 rows of the CDNOW sample, keyed by the sample id', () => {
    // Prepare / Act
    const tx = parseCdnow(fixtureText('CDNOW_sample.txt'));
    // Assess
    expect(tx).toHaveLength(6919);
    expect(tx[0]).toEqual({ customerId: '1', day: epochDay(1997, 1, 1), amount: 29.33 });
    expect(new Set(tx.map((t) => t.customerId)).size).toBe(2357);
  });
});
