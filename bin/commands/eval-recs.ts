/**
 * `rewake eval-recs`: offline evaluation of the recommender on a time split of UCI Online Retail.
 *
 *   eval-recs --transactions DIR_OR_FILE [--split-date 2011-09-01] [--k 10] [--json]
 *
 * DIR_OR_FILE is the by-day directory (every *.csv in it, InvoiceNo,StockCode,Description,Quantity,
 * InvoiceDate,UnitPrice,CustomerID,Country) or one such file, or the bundled slice
 * (data/online-retail-slice.csv). Popularity, a plain item-kNN and Rewake's model are trained on the
 * purchases before the split date and scored on the same test users: those who bought both before
 * and after it. Rewake's defaults (and the baseline's neighbour count) were chosen on splits at
 * 2011-06-01, 2011-07-01 and 2011-08-01 with the data cut at 2011-09-01, not on the default split's
 * test period: `npx tsx bench/recs-validate.ts DIR [variants.json]` scores variants on those splits.
 *
 * Exit codes: 0 done, 1 the data cannot be evaluated (unreadable, no test users), 2 bad usage.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatDay, parseDay } from '../../shared/models/index';
import { emptyCounts, parseOnlineRetail, RetailParseError, type ParseCounts } from '../../shared/recommend/online-retail';
import { evaluateSplit, type EvalResult } from '../../shared/recommend/evaluate';
import type { Interaction } from '../../shared/recommend/types';
import { CommandError, parseFlags, type CommandIO } from './fit';

const USAGE = 'usage: eval-recs --transactions DIR_OR_FILE [--split-date YYYY-MM-DD] [--k 10] [--json]';
export const DEFAULT_SPLIT_DATE = '2011-09-01';
const MS_PER_DAY = 86_400_000;
const RECALL_DEFINITION = 'hits / min(K, |truth|)';

/** Reads a file, or every .csv of a directory in name order. CommandError (exit 1) when unreadable. */
export async function loadInteractions(path: string): Promise<{ interactions: Interaction[]; counts: ParseCounts; files: number }> {
  let files: string[];
  try {
    files = (await stat(path)).isDirectory()
      ? (await readdir(path))
          .filter((f) => f.endsWith('.csv'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandError(`cannot read ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (code ?? String(err))}`, 1);
  }
  if (files.length === 0) throw new CommandError(`${path}: no .csv files`, 1);
  const interactions: Interaction[] = [];
  const counts = emptyCounts();
  for (const file of files) {
    try {
      parseOnlineRetail(await readFile(file, 'utf8'), interactions, counts);
    } catch (err) {
      if (err instanceof RetailParseError) throw new CommandError(`${file}: ${err.message}`, 1);
      throw err;
    }
  }
  return { interactions, counts, files: files.length };
}

export async function runEvalRecs(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const flags = parseFlags(argv, ['--transactions', '--split-date', '--k'], ['--json']);
    const source = flags.get('--transactions');
    if (!source) throw new CommandError('--transactions DIR_OR_FILE is required', 2);
    const splitText = flags.get('--split-date') ?? DEFAULT_SPLIT_DATE;
    const splitDay = parseDay(splitText);
    if (Number.isNaN(splitDay)) throw new CommandError(`--split-date must be a date YYYY-MM-DD, got ${JSON.stringify(splitText)}`, 2);
    const k = Number(flags.get('--k') ?? '10');
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new CommandError(`--k must be an integer from 1 to 100, got ${JSON.stringify(flags.get('--k'))}`, 2);

    const t0 = performance.now();
    const { interactions, counts, files } = await loadInteractions(source);
    const result = evaluateSplit(interactions, splitDay * MS_PER_DAY, { k });
    const totalMs = performance.now() - t0;
    if (result.testUsers === 0) throw new CommandError(`${source}: no customer bought both before and on or after ${formatDay(splitDay)}`, 1);

    if (flags.has('--json')) {
      io.stdout.write(`${JSON.stringify(evalJson(result, counts, files, totalMs))}\n`);
    } else {
      io.stdout.write(evalTable(result, counts, files, totalMs));
    }
    return 0;
  } catch (err) {
    if (err instanceof CommandError) {
      io.stderr.write(`eval-recs: ${err.message}${err.exitCode === 2 ? ` (${USAGE})` : ''}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

export function evalJson(result: EvalResult, counts: ParseCounts, files: number, totalMs: number): Record<string, unknown> {
  return {
    splitDate: result.splitAt,
    k: result.k,
    recall: RECALL_DEFINITION,
    testUsers: result.testUsers,
    newItemUsers: result.newItemUsers,
    trainInteractions: result.trainInteractions,
    rows: result.rows.map((r) => ({ items: r.items, model: r.model, users: r.metrics.users, hr: round(r.metrics.hr), recall: round(r.metrics.recall), ndcg: round(r.metrics.ndcg) })),
    rewakeVsBaselines: result.comparisons.map((c) => ({ ...c, difference: round(c.difference), low: round(c.low), high: round(c.high) })),
    input: { files, ...counts },
    trainMs: Math.round(result.trainMs),
    totalMs: Math.round(totalMs),
  };
}

export function evalTable(result: EvalResult, counts: ParseCounts, files: number, totalMs: number): string {
  const k = result.k;
  const n = (v: number) => v.toLocaleString('en-US');
  const lines = [
    `Recommendations, split ${result.splitAt}: trained on ${n(result.trainInteractions)} purchases before it; ${n(result.testUsers)} test users bought before and after it (${n(result.newItemUsers)} bought something new to them).`,
    '',
    `${'items'.padEnd(10)}  ${'model'.padEnd(10)}  ${'users'.padStart(6)}  ${`HR@${k}`.padStart(7)}  ${`Recall@${k}`.padStart(9)}  ${`NDCG@${k}`.padStart(7)}`,
  ];
  for (const r of result.rows) {
    const m = r.metrics;
    lines.push(
      `${(r.items === 'all' ? 'all items' : 'new items').padEnd(10)}  ${r.model.padEnd(10)}  ${String(m.users).padStart(6)}  ${m.hr.toFixed(4).padStart(7)}  ${m.recall.toFixed(4).padStart(9)}  ${m.ndcg.toFixed(4).padStart(7)}`,
    );
  }
  lines.push('', `Rewake minus baseline, same users (mean per-user difference, 95% CI):`);
  for (const c of result.comparisons) {
    const sign = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`;
    const verdict = c.low > 0 ? 'Rewake better' : c.high < 0 ? 'baseline better' : 'no clear difference';
    lines.push(
      `  ${(c.items === 'all' ? 'all items' : 'new items').padEnd(10)}  vs ${c.baseline.padEnd(10)}  ${(c.metric === 'hr' ? `HR@${k}` : `NDCG@${k}`).padEnd(7)}  ${sign(c.difference)} (${sign(c.low)} to ${sign(c.high)})  ${verdict}`,
    );
  }
  lines.push(
    '',
    `HR@${k}: share of users with a hit in their top ${k}. Recall@${k} = ${RECALL_DEFINITION.replace('K', String(k))}. NDCG@${k}: binary relevance.`,
    `"all items": truth = every item bought after the split (re-buys count; Rewake's "do not offer recent purchases again" rule is off).`,
    `"new items": truth = items bought after the split that the user had not bought before; no model may recommend those the user bought.`,
    `Input: ${n(counts.rows)} rows in ${files} file(s); kept ${n(counts.kept)}; dropped ${n(counts.cancellations)} cancellations, ${n(counts.noCustomer)} without a customer, ${n(counts.nonPositive)} with quantity or price ≤ 0, ${n(counts.nonProduct)} non-product codes. Training ${(result.trainMs / 1000).toFixed(1)} s, total ${(totalMs / 1000).toFixed(1)} s.`,
  );
  return `${lines.join('\n')}\n`;
}
