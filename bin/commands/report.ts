/**
 * `rewake report`: the reactivation report (treated vs holdout) on data kept by `rewake serve`,
 * `scan` or `start --data-dir`, read through the embedded runtime. Prints a table (or JSON with
 * --json) and writes report.json and report.html (charts, self-contained) to --out.
 *
 *   report [--data-dir DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--as-of YYYY-MM-DD] [--out DIR] [--json]
 *
 * Local runs deliver to the fake Pinpoint outbox, never to a person, so the report is marked as
 * simulated delivery and says that an uplift near zero is the honest result.
 * Exit codes: 0 written, 1 no kept data, 2 bad usage.
 */
import { loadConfig } from '../../infra/aws/load-config';
import { now as clockNow } from '../../shared/clock';
import { reportTable } from '../../shared/measure/report-text';
import { CommandError, parseFlags, type CommandIO } from './fit';
import { DEFAULT_DATA_DIR, withKeptData } from './kept-data';

const USAGE = 'usage: report [--data-dir DIR] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--as-of YYYY-MM-DD] [--out DIR] [--json]';

export async function runReport(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const flags = parseFlags(argv, ['--data-dir', '--from', '--to', '--as-of', '--out'], ['--json']);
    const from = day(flags, '--from');
    const to = day(flags, '--to');
    if (from && to && from > to) throw new CommandError(`--from ${from} is after --to ${to}`, 2);
    const asOf = day(flags, '--as-of');
    // The end of the --as-of day: every window that closed that day counts as finished.
    const now = asOf ? new Date(Date.parse(asOf) + 86_400_000 - 1) : clockNow();
    const dataDir = flags.get('--data-dir') ?? DEFAULT_DATA_DIR;
    const outDir = flags.get('--out') ?? 'out';
    const { config } = loadConfig();
    return await withKeptData(dataDir, config, async () => {
      const { produceReport, sourcesFromEnv, writeReportFiles } = await import('../../functions/report/produce');
      const report = await produceReport(sourcesFromEnv(config), { config, now, delivery: 'simulated', period: { from, to } });
      const files = writeReportFiles(report, outDir);
      io.stdout.write(flags.has('--json') ? `${JSON.stringify(report, null, 2)}\n` : reportTable(report));
      io.stderr.write(`wrote ${files.html} and ${files.json}\n`);
      return 0;
    });
  } catch (err) {
    if (err instanceof CommandError) {
      io.stderr.write(`report: ${err.message}${err.exitCode === 2 ? ` (${USAGE})` : ''}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

function day(flags: Map<string, string>, name: string): string | undefined {
  const text = flags.get(name);
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(Date.parse(text))) throw new CommandError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(text)}`, 2);
  return text;
}
