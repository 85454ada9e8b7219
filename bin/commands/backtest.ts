/**
 * `rewake backtest`: fit on a calibration period, then compare each model's conditional
 * expectations with what customers actually bought in the holdout period, by calibration
 * frequency x (the table of Fader, Hardie & Lee 2005, Marketing Science, p. 281).
 *
 *   backtest --transactions FILE.csv --calibration-end YYYY-MM-DD --holdout-end YYYY-MM-DD
 *            [--json] [--period-days 7]
 *
 * Exit codes as for `fit`: 0 done, 1 the data cannot be fitted, 2 bad usage.
 */
import { auc } from '../../shared/measure/auc';
import { conditionalExpectationTable, expectedPurchases, fitAll, formatDay, type CustomerSummaries, type TransactionModel } from '../../shared/models/index';
import { CommandError, loadSummaries, MIN_REPEAT_CUSTOMERS, parseFlags, periodDaysOf, requireDay, type CommandIO } from './fit';

const USAGE = 'usage: backtest --transactions FILE.csv --calibration-end YYYY-MM-DD --holdout-end YYYY-MM-DD [--json] [--period-days 7]';

/** Runs `backtest`; returns the exit code. */
export async function runBacktest(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const flags = parseFlags(argv, ['--transactions', '--calibration-end', '--holdout-end', '--period-days'], ['--json']);
    const calibrationEndDay = requireDay(flags, '--calibration-end');
    const holdoutEndDay = requireDay(flags, '--holdout-end');
    if (holdoutEndDay <= calibrationEndDay) throw new CommandError('--holdout-end must be after --calibration-end', 2);
    const periodDays = periodDaysOf(flags);
    const summary = await loadSummaries(flags.get('--transactions'), calibrationEndDay, periodDays, holdoutEndDay);
    const fits = fitAll(summary, { minRepeatCustomers: MIN_REPEAT_CUSTOMERS, models: ['bgnbd', 'mbgnbd', 'paretoNbd'] });
    const models: Record<string, TransactionModel> = {};
    const skipped: string[] = [];
    for (const fit of [fits.bgnbd, fits.mbgnbd, fits.paretoNbd]) {
      if (!fit) continue;
      if (fit.status.ok) models[fit.model] = fit.model === 'paretoNbd' ? { model: 'paretoNbd', params: fit.params } : { model: fit.model, params: fit.params };
      else skipped.push(`${fit.model}: ${fit.status.message}`);
    }
    const holdoutLength = (holdoutEndDay - calibrationEndDay) / periodDays;
    const table = conditionalExpectationTable(summary, models, holdoutLength);
    const names = Object.keys(models);
    const ranking = rankingComparison(summary, models, holdoutLength);
    if (flags.has('--json')) {
      io.stdout.write(
        `${JSON.stringify({
          customers: summary.ids.length,
          calibrationEnd: formatDay(calibrationEndDay),
          holdoutEnd: formatDay(holdoutEndDay),
          holdoutLength,
          bins: table.bins,
          actualTotal: table.actualTotal,
          predictedTotal: table.predictedTotal,
          ranking,
          skipped,
        })}\n`,
      );
    } else {
      const lines = [
        `Holdout ${formatDay(calibrationEndDay + 1)} – ${formatDay(holdoutEndDay)} (${holdoutLength.toFixed(2)} periods of ${periodDays} days); ${summary.ids.length} customers`,
        '',
        ['x', 'customers', 'actual', ...names].map((h, i) => (i === 0 ? h.padEnd(4) : h.padStart(10))).join(' '),
      ];
      for (const b of table.bins) {
        lines.push([b.label.padEnd(4), String(b.customers).padStart(10), b.actualMean.toFixed(3).padStart(10), ...names.map((n) => b.predictedMean[n]!.toFixed(3).padStart(10))].join(' '));
      }
      lines.push(['total'.padEnd(4), ''.padStart(10), table.actualTotal.toFixed(0).padStart(10), ...names.map((n) => table.predictedTotal[n]!.toFixed(0).padStart(10))].join(' '));
      for (const s of skipped) lines.push(`skipped ${s}`);
      lines.push('', `Who buys again in the holdout (${ranking.positives} of ${ranking.customers} customers): AUC of each ranking`);
      lines.push(`  ${ranking.rewake.auc.toFixed(3)}  Rewake win-back priority (${ranking.rewake.basis})`);
      lines.push(`  ${ranking.recency.toFixed(3)}  days since last purchase alone`);
      lines.push(`  ${ranking.rule180.toFixed(3)}  the seed's rule: bought within ${RULE_DAYS} days`);
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof CommandError) {
      io.stderr.write(`backtest: ${err.message}${err.exitCode === 2 ? ` (${USAGE})` : ''}\n`);
      return err.exitCode;
    }
    if (err instanceof RangeError) {
      io.stderr.write(`backtest: invalid data: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The seed's example: dormant after 180 days without a purchase. */
const RULE_DAYS = 180;
/** Rewake prefers MBG/NBD: BG/NBD gives one-time buyers P(alive) = 1 (see shared/dormancy/customer-model.ts). */
const PREFERENCE = ['mbgnbd', 'bgnbd', 'paretoNbd'];

/**
 * How well each ranking of the calibration customers picks out those who buy again in the holdout.
 * Rewake's priority is the chosen model's expected holdout purchases; with no usable model it falls
 * back to the classic rule-based RFM score: the customer's recency rank plus frequency rank.
 */
export function rankingComparison(summary: CustomerSummaries, models: Record<string, TransactionModel>, holdoutLength: number) {
  const n = summary.ids.length;
  const positive = Array.from({ length: n }, (_, i) => summary.xStar[i]! > 0);
  const recencyDays = Array.from({ length: n }, (_, i) => (summary.T[i]! - summary.tx[i]!) * summary.periodDays);
  const name = PREFERENCE.find((m) => models[m]);
  let rewakeScores: number[];
  if (name) {
    rewakeScores = Array.from({ length: n }, (_, i) => expectedPurchases(models[name]!, { x: summary.x[i]!, tx: summary.tx[i]!, T: summary.T[i]! }, holdoutLength));
  } else {
    const recent = ranks(recencyDays.map((d) => -d));
    const frequent = ranks(Array.from({ length: n }, (_, i) => (summary.x[i]! + 1) / (summary.T[i]! + 1)));
    rewakeScores = recent.map((r, i) => r + frequent[i]!);
  }
  return {
    customers: n,
    positives: positive.filter(Boolean).length,
    rewake: { basis: name ? `${name} expected purchases` : 'no usable model: RFM rule, recency + frequency rank', auc: auc(rewakeScores, positive) },
    recency: auc(recencyDays.map((d) => -d), positive),
    rule180: auc(recencyDays.map((d) => (d < RULE_DAYS ? 1 : 0)), positive),
  };
}

/** Fractional ranks in [0, 1), ties broken by position (fine for summing two rankings). */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  order.forEach(([, i], k) => (out[i] = k / values.length));
  return out;
}
