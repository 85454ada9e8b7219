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
import { conditionalExpectationTable, fitAll, formatDay, type TransactionModel } from '../../shared/models/index';
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
