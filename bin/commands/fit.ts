/**
 * `rewake fit`: fit the customer-base models on a transaction file.
 *
 *   fit --transactions FILE.csv --calibration-end YYYY-MM-DD [--json] [--period-days 7]
 *
 * FILE has a header naming customer_id,date,amount (date as YYYY-MM-DD or an ISO timestamp).
 * Purchases after the calibration end are ignored. Prints a table, or one JSON object with
 * --json. Exit codes: 0 fitted (a degenerate fit is reported in the output and on stderr, not an
 * error), 1 the data cannot be fitted (unreadable file, bad rows, too few repeat customers),
 * 2 bad usage.
 */
import { readFile } from 'node:fs/promises';
import {
  fitAll,
  formatDay,
  parseDay,
  parseTransactionsCsv,
  summarizeTransactions,
  TransactionParseError,
  type CustomerSummaries,
  type FitStatus,
  type FittedModels,
} from '../../shared/models/index';

export interface CommandIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

/** Customers with a repeat purchase needed before any model is fitted. */
export const MIN_REPEAT_CUSTOMERS = 10;

/** A problem to report as one line on stderr with the given exit code. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Minimal `--flag value` / `--switch` parser; unknown flags are usage errors. */
export function parseFlags(argv: string[], valueFlags: string[], switches: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (switches.includes(name)) {
      out.set(name, 'true');
    } else if (valueFlags.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value.startsWith('--')) throw new CommandError(`${name} needs a value`, 2);
      out.set(name, value);
    } else {
      throw new CommandError(`unknown argument ${JSON.stringify(arg)}`, 2);
    }
  }
  return out;
}

export function requireDay(flags: Map<string, string>, name: string): number {
  const text = flags.get(name);
  if (text === undefined) throw new CommandError(`${name} YYYY-MM-DD is required`, 2);
  const day = parseDay(text);
  if (Number.isNaN(day)) throw new CommandError(`${name} must be a date YYYY-MM-DD, got ${JSON.stringify(text)}`, 2);
  return day;
}

export function periodDaysOf(flags: Map<string, string>): number {
  const text = flags.get('--period-days') ?? '7';
  const v = Number(text);
  if (!(Number.isFinite(v) && v > 0)) throw new CommandError(`--period-days must be a positive number, got ${JSON.stringify(text)}`, 2);
  return v;
}

/** Reads and summarises a transaction file; CommandError (exit 1) for any data problem. */
export async function loadSummaries(
  file: string | undefined,
  calibrationEndDay: number,
  periodDays: number,
  holdoutEndDay?: number,
): Promise<CustomerSummaries> {
  if (!file) throw new CommandError('--transactions FILE.csv is required', 2);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`, 1);
  }
  let transactions;
  try {
    transactions = parseTransactionsCsv(text);
  } catch (err) {
    if (err instanceof TransactionParseError) throw new CommandError(`${file}: ${err.message}`, 1);
    throw err;
  }
  const summaryOptions = holdoutEndDay === undefined ? { calibrationEndDay, periodDays } : { calibrationEndDay, periodDays, holdoutEndDay };
  const summary = summarizeTransactions(transactions, summaryOptions);
  if (summary.ids.length === 0) {
    throw new CommandError(`${file}: no customer made a first purchase on or before the calibration end ${formatDay(calibrationEndDay)}`, 1);
  }
  let repeaters = 0;
  for (let i = 0; i < summary.x.length; i++) if (summary.x[i]! > 0) repeaters++;
  if (repeaters < MIN_REPEAT_CUSTOMERS) {
    throw new CommandError(
      `${file}: too few repeat customers to fit (${repeaters} of ${summary.ids.length} customers bought again on or before ${formatDay(calibrationEndDay)}; need at least ${MIN_REPEAT_CUSTOMERS})`,
      1,
    );
  }
  return summary;
}

function statusJson(status: FitStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { ok: status.ok };
  if (!status.ok) {
    out.degenerate = status.degenerate;
    out.message = status.message;
  }
  if (status.warnings.length > 0) out.warnings = status.warnings;
  return out;
}

/** The JSON document `fit --json` prints. */
export function fitJson(fits: FittedModels, fitMs: number): Record<string, unknown> {
  const out: Record<string, unknown> = { customers: fits.customers, repeatCustomers: fits.repeatCustomers };
  if (fits.bgnbd) {
    const { r, alpha, a, b } = fits.bgnbd.params;
    out.bgnbd = { r, alpha, a, b, logLikelihood: fits.bgnbd.logLikelihood, ...statusJson(fits.bgnbd.status) };
  }
  if (fits.mbgnbd) {
    const { r, alpha, a, b } = fits.mbgnbd.params;
    out.mbgnbd = { r, alpha, a, b, logLikelihood: fits.mbgnbd.logLikelihood, ...statusJson(fits.mbgnbd.status) };
  }
  if (fits.paretoNbd) {
    const { r, alpha, s, beta } = fits.paretoNbd.params;
    out.paretoNbd = { r, alpha, s, beta, logLikelihood: fits.paretoNbd.logLikelihood, ...statusJson(fits.paretoNbd.status) };
  }
  if (fits.gammaGamma) {
    const { p, q, gamma } = fits.gammaGamma.params;
    out.gammaGamma = { p, q, gamma, logLikelihood: fits.gammaGamma.logLikelihood, ...statusJson(fits.gammaGamma.status) };
  }
  out.fitMs = Math.round(fitMs * 10) / 10;
  return out;
}

const num = (v: number, digits = 4): string => (Number.isFinite(v) ? (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits - 1) : v.toPrecision(digits)) : String(v));

/** The readable table `fit` prints. */
export function fitTable(fits: FittedModels, header: string): string {
  const rows: [string, string, number, FitStatus][] = [];
  if (fits.bgnbd) {
    const p = fits.bgnbd.params;
    rows.push(['BG/NBD', `r=${num(p.r)} α=${num(p.alpha)} a=${num(p.a)} b=${num(p.b)}`, fits.bgnbd.logLikelihood, fits.bgnbd.status]);
  }
  if (fits.mbgnbd) {
    const p = fits.mbgnbd.params;
    rows.push(['MBG/NBD', `r=${num(p.r)} α=${num(p.alpha)} a=${num(p.a)} b=${num(p.b)}`, fits.mbgnbd.logLikelihood, fits.mbgnbd.status]);
  }
  if (fits.paretoNbd) {
    const p = fits.paretoNbd.params;
    rows.push(['Pareto/NBD', `r=${num(p.r)} α=${num(p.alpha)} s=${num(p.s)} β=${num(p.beta)}`, fits.paretoNbd.logLikelihood, fits.paretoNbd.status]);
  }
  if (fits.gammaGamma) {
    const p = fits.gammaGamma.params;
    rows.push(['Gamma-Gamma', `p=${num(p.p)} q=${num(p.q)} γ=${num(p.gamma)}`, fits.gammaGamma.logLikelihood, fits.gammaGamma.status]);
  }
  const w1 = Math.max(5, ...rows.map((r) => r[0].length));
  const w2 = Math.max(10, ...rows.map((r) => r[1].length));
  const lines = [header, '', `${'model'.padEnd(w1)}  ${'parameters'.padEnd(w2)}  ${'log-lik'.padStart(10)}  status`];
  const notes: string[] = [];
  for (const [name, params, ll, status] of rows) {
    lines.push(`${name.padEnd(w1)}  ${params.padEnd(w2)}  ${(Number.isFinite(ll) ? ll.toFixed(2) : '—').padStart(10)}  ${status.ok ? 'ok' : `DEGENERATE (${status.degenerate})`}`);
    if (!status.ok) notes.push(`${name}: ${status.message}`);
    for (const w of status.warnings) notes.push(`${name}: warning: ${w}`);
  }
  if (fits.gammaGamma) lines.push('', 'Gamma-Gamma log-likelihood is for the average spend m_x (lifetimes/BTYD form).');
  if (notes.length > 0) lines.push('', ...notes);
  return lines.join('\n') + '\n';
}

const USAGE = 'usage: fit --transactions FILE.csv --calibration-end YYYY-MM-DD [--json] [--period-days 7]';

/** Runs `fit`; returns the exit code. */
export async function runFit(argv: string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const flags = parseFlags(argv, ['--transactions', '--calibration-end', '--period-days'], ['--json']);
    const calibrationEndDay = requireDay(flags, '--calibration-end');
    const periodDays = periodDaysOf(flags);
    const summary = await loadSummaries(flags.get('--transactions'), calibrationEndDay, periodDays);
    const t0 = performance.now();
    const fits = fitAll(summary, { minRepeatCustomers: MIN_REPEAT_CUSTOMERS });
    const fitMs = performance.now() - t0;
    if (flags.has('--json')) {
      io.stdout.write(`${JSON.stringify(fitJson(fits, fitMs))}\n`);
    } else {
      const unit = periodDays === 7 ? 'weeks' : `periods of ${periodDays} days`;
      io.stdout.write(
        fitTable(
          fits,
          `Fitted ${fits.customers} customers (${fits.repeatCustomers} with a repeat purchase); calibration end ${formatDay(calibrationEndDay)}; time in ${unit}; ${fitMs.toFixed(0)} ms`,
        ),
      );
    }
    for (const [name, fit] of [['BG/NBD', fits.bgnbd], ['MBG/NBD', fits.mbgnbd], ['Pareto/NBD', fits.paretoNbd], ['Gamma-Gamma', fits.gammaGamma]] as const) {
      if (fit && !fit.status.ok && flags.has('--json')) io.stderr.write(`warning: ${name}: ${fit.status.message}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof CommandError) {
      io.stderr.write(`fit: ${err.message}${err.exitCode === 2 ? ` (${USAGE})` : ''}\n`);
      return err.exitCode;
    }
    if (err instanceof RangeError) {
      io.stderr.write(`fit: invalid data: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
