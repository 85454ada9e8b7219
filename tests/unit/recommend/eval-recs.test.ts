import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEvalRecs } from '../../../bin/commands/eval-recs';
import { capture } from '../../fixtures/capture';

const SLICE = 'data/online-retail-slice.csv';

describe('rewake eval-recs', () => {
  it('prints one JSON object with the three models for all and new items', async () => {
    // Prepare
    const c = capture();

    // Act
    const code = await runEvalRecs(['--transactions', SLICE, '--split-date', '2011-09-01', '--json'], c.io);

    // Assess
    expect(code).toBe(0);
    expect(c.stderr()).toBe('');
    const out = JSON.parse(c.stdout());
    expect(out.splitDate).toBe('2011-09-01');
    expect(out.k).toBe(10);
    expect(out.recall).toBe('hits / min(K, |truth|)');
    expect(out.rows.map((r: { items: string; model: string }) => `${r.items}/${r.model}`)).toEqual([
      'all/popularity',
      'all/item-kNN',
      'all/Rewake',
      'new/popularity',
      'new/item-kNN',
      'new/Rewake',
    ]);
    for (const r of out.rows) {
      for (const m of [r.hr, r.recall, r.ndcg]) {
        expect(m).toBeGreaterThanOrEqual(0);
        expect(m).toBeLessThanOrEqual(1);
      }
    }
    // Wholesale customers re-buy: Rewake's buy-again term must show on "all items".
    const hr = (items: string, model: string) => out.rows.find((r: { items: string; model: string }) => r.items === items && r.model === model).hr;
    expect(hr('all', 'Rewake')).toBeGreaterThan(hr('all', 'item-kNN'));
    expect(hr('all', 'Rewake')).toBeGreaterThan(hr('all', 'popularity'));
    expect(out.input.rows).toBe(36_378);
  });

  it('prints a table naming the metrics and their definitions', async () => {
    // Prepare
    const c = capture();

    // Act
    const code = await runEvalRecs(['--transactions', SLICE, '--k', '5'], c.io);

    // Assess
    expect(code).toBe(0);
    expect(c.stdout()).toContain('split 2011-09-01');
    expect(c.stdout()).toMatch(/items\s+model\s+users\s+HR@5\s+Recall@5\s+NDCG@5/);
    expect(c.stdout()).toContain('Recall@5 = hits / min(5, |truth|)');
    expect(c.stdout().split('\n').filter((l) => /^(all|new) items/.test(l))).toHaveLength(6);
  });

  it('reads every .csv of a directory', async () => {
    // Prepare: two days of the original format in a directory, one customer buying on both.
    const dir = mkdtempSync(join(tmpdir(), 'rewake-eval-'));
    const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
    writeFileSync(join(dir, '2011-08-31.csv'), `${header}\n1,10001,A,1,2011-08-31 10:00:00,1.0,1.0,UK\n2,10002,B,1,2011-08-31 11:00:00,1.0,2.0,UK\n`);
    writeFileSync(join(dir, '2011-09-01.csv'), `${header}\n3,10002,B,1,2011-09-01 10:00:00,1.0,1.0,UK\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not data');
    const c = capture();

    // Act
    const code = await runEvalRecs(['--transactions', dir, '--json'], c.io);

    // Assess
    expect(code).toBe(0);
    const out = JSON.parse(c.stdout());
    expect(out.input).toMatchObject({ files: 2, rows: 3, kept: 3 });
    expect(out.testUsers).toBe(1);
  });

  it('exits 2 on bad usage and 1 on data it cannot evaluate', async () => {
    const missing = capture();
    expect(await runEvalRecs(['--json'], missing.io)).toBe(2);
    expect(missing.stderr()).toContain('--transactions DIR_OR_FILE is required');

    const badDate = capture();
    expect(await runEvalRecs(['--transactions', SLICE, '--split-date', 'soon'], badDate.io)).toBe(2);

    const noFile = capture();
    expect(await runEvalRecs(['--transactions', 'no/such/file.csv'], noFile.io)).toBe(1);
    expect(noFile.stderr()).toContain('no such file');

    const tooEarly = capture();
    expect(await runEvalRecs(['--transactions', SLICE, '--split-date', '2009-01-01'], tooEarly.io)).toBe(1);
    expect(tooEarly.stderr()).toContain('no customer bought both before and on or after 2009-01-01');
  });
});
