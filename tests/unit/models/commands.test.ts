import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../../../bin/commands/backtest';
import { runFit } from '../../../bin/commands/fit';
import { fixtureText } from './cdnow-fixture';
import { capture } from '../../fixtures/capture';

const dir = mkdtempSync(join(tmpdir(), 'rewake-fit-'));

/** The CDNOW sample as customer_id,date,amount. */
const cdnowCsv = (() => {
  const rows = fixtureText('CDNOW_sample.txt')
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const f = line.trim().split(/\s+/);
      const d = f[2]!;
      return `${Number(f[1])},${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)},${f[4]}`;
    });
  const file = join(dir, 'cdnow.csv');
  writeFileSync(file, `customer_id,date,amount\n${rows.join('\n')}\n`);
  return file;
})();

function writeCsv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('rewake fit', () => {
  it('prints one JSON object with the CDNOW estimates of every model', async () => {
    // Prepare
    const c = capture();
    // Act
    const code = await runFit(['--transactions', cdnowCsv, '--calibration-end', '1997-09-30', '--json'], c.io);
    // Assess
    expect(code).toBe(0);
    expect(c.stderr()).toBe('');
    const lines = c.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(out.customers).toBe(2357);
    expect(out.bgnbd.r).toBeCloseTo(0.2426, 4);
    expect(out.bgnbd.alpha).toBeCloseTo(4.4136, 3);
    expect(out.bgnbd.a).toBeCloseTo(0.7929, 4);
    expect(out.bgnbd.b).toBeCloseTo(2.4259, 3);
    expect(out.bgnbd.logLikelihood).toBeCloseTo(-9582.43, 2);
    expect(out.mbgnbd.logLikelihood).toBeCloseTo(-9582.14, 2);
    expect(out.paretoNbd.logLikelihood).toBeCloseTo(-9594.98, 2);
    expect(out.gammaGamma.p).toBeCloseTo(6.25, 2);
    expect(out.gammaGamma.q).toBeCloseTo(3.74, 2);
    expect(out.gammaGamma.gamma).toBeCloseTo(15.44, 1);
    expect(typeof out.fitMs).toBe('number');
  });

  it('prints a readable table without --json', async () => {
    // Prepare
    const c = capture();
    // Act
    const code = await runFit(['--transactions', cdnowCsv, '--calibration-end', '1997-09-30'], c.io);
    // Assess
    expect(code).toBe(0);
    expect(c.stdout()).toMatch(/BG\/NBD\s+r=0\.2426 α=4\.414 a=0\.7929 b=2\.426\s+-9582\.43\s+ok/);
    expect(c.stdout()).toMatch(/Gamma-Gamma/);
  });

  it('fails with one line on stderr when the file cannot be read', async () => {
    // Prepare
    const c = capture();
    // Act
    const code = await runFit(['--transactions', join(dir, 'missing.csv'), '--calibration-end', '1997-09-30'], c.io);
    // Assess
    expect(code).toBe(1);
    expect(c.stderr().trim().split('\n')).toHaveLength(1);
    expect(c.stderr()).toMatch(/cannot read .*missing\.csv/);
    expect(c.stdout()).toBe('');
  });

  it('fails with one line naming the problem for bad columns or dates', async () => {
    // Prepare
    const badHeader = writeCsv('bad-header.csv', 'id,day,value\n1,2024-01-01,3\n');
    const badDate = writeCsv('bad-date.csv', 'customer_id,date,amount\n1,2024-01-01,3\n2,2024-31-01,3\n');
    const c1 = capture();
    const c2 = capture();
    // Act
    const code1 = await runFit(['--transactions', badHeader, '--calibration-end', '2024-06-30'], c1.io);
    const code2 = await runFit(['--transactions', badDate, '--calibration-end', '2024-06-30'], c2.io);
    // Assess
    expect(code1).toBe(1);
    expect(c1.stderr()).toMatch(/missing customer_id, date, amount/);
    expect(code2).toBe(1);
    expect(c2.stderr()).toMatch(/line 3: bad date "2024-31-01"/);
    expect(c2.stderr().trim().split('\n')).toHaveLength(1);
  });

  it('refuses to fit when too few customers bought again', async () => {
    // Prepare
    const file = writeCsv('few.csv', 'customer_id,date,amount\na,2024-01-01,1\na,2024-02-01,1\nb,2024-01-05,1\n');
    const c = capture();
    // Act
    const code = await runFit(['--transactions', file, '--calibration-end', '2024-06-30'], c.io);
    // Assess
    expect(code).toBe(1);
    expect(c.stderr()).toMatch(/too few repeat customers to fit \(1 of 2 customers/);
  });

  it('reports a degenerate fit in the output and on stderr, still exiting 0', async () => {
    // Prepare: 60 customers who keep buying every 1–3 weeks up to the calibration end.
    const lines = ['customer_id,date,amount'];
    const start = Date.UTC(2024, 0, 1);
    for (let c = 0; c < 60; c++) {
      const step = 7 * (1 + (c % 3));
      for (let d = c % 10; d <= 180; d += step) lines.push(`c${c},${new Date(start + d * 86_400_000).toISOString().slice(0, 10)},${10 + (c % 7)}`);
    }
    const file = writeCsv('loyal.csv', `${lines.join('\n')}\n`);
    const c = capture();
    // Act
    const code = await runFit(['--transactions', file, '--calibration-end', '2024-06-30', '--json'], c.io);
    // Assess
    expect(code).toBe(0);
    const out = JSON.parse(c.stdout());
    expect(out.bgnbd.ok).toBe(false);
    expect(out.bgnbd.degenerate).toBe('dropout-collapsed');
    expect(c.stderr()).toMatch(/warning: BG\/NBD: /);
  });

  it('reports bad usage with exit code 2', async () => {
    // Prepare
    const c1 = capture();
    const c2 = capture();
    const c3 = capture();
    // Act
    const missing = await runFit(['--transactions', cdnowCsv], c1.io);
    const badDate = await runFit(['--transactions', cdnowCsv, '--calibration-end', '30/09/1997'], c2.io);
    const unknown = await runFit(['--transactions', cdnowCsv, '--calibration-end', '1997-09-30', '--fast'], c3.io);
    // Assess
    expect([missing, badDate, unknown]).toEqual([2, 2, 2]);
    expect(c1.stderr()).toMatch(/--calibration-end YYYY-MM-DD is required/);
    expect(c3.stderr()).toMatch(/unknown argument "--fast"/);
  });

  it('accepts another time unit with --period-days', async () => {
    // Prepare
    const c = capture();
    // Act
    const code = await runFit(['--transactions', cdnowCsv, '--calibration-end', '1997-09-30', '--json', '--period-days', '1'], c.io);
    // Assess: the same model in days: r unchanged, α scaled by 7
    expect(code).toBe(0);
    const out = JSON.parse(c.stdout());
    expect(out.bgnbd.r).toBeCloseTo(0.2426, 4);
    expect(out.bgnbd.alpha / 7).toBeCloseTo(4.4136, 2);
  });
});

describe('rewake backtest', () => {
  it('prints the holdout table with the published actual means', async () => {
    // Prepare
    const c = capture();
    // Act
    const code = await runBacktest(['--transactions', cdnowCsv, '--calibration-end', '1997-09-30', '--holdout-end', '1998-06-30', '--json'], c.io);
    // Assess
    expect(code).toBe(0);
    const out = JSON.parse(c.stdout());
    expect(out.holdoutLength).toBe(39);
    expect(out.actualTotal).toBe(1882);
    expect(out.bins[0].customers).toBe(1411);
    expect(out.bins[0].actualMean).toBeCloseTo(0.2367116, 6);
    expect(out.bins[7].predictedMean.bgnbd).toBeCloseTo(6.157, 2);
  });

  it('refuses a holdout that ends before the calibration', async () => {
    // Prepare
    const c = capture();
    // Act
    const code = await runBacktest(['--transactions', cdnowCsv, '--calibration-end', '1997-09-30', '--holdout-end', '1997-09-01'], c.io);
    // Assess
    expect(code).toBe(2);
    expect(c.stderr()).toMatch(/--holdout-end must be after --calibration-end/);
  });
});
