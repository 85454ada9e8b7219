/**
 * Text parsers for transaction data (pure: text in, transactions out; reading files is the
 * caller's job).
 */
import { parseDay, type Transaction } from './rfm';

/** A transaction file could not be understood. `line` is 1-based when known. */
export class TransactionParseError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'TransactionParseError';
  }
}

/**
 * Parses Hardie's CDNOW files: whitespace-separated `master_id sample_id YYYYMMDD cds dollars`
 * (CDNOW_sample.txt) or `customer_id YYYYMMDD cds dollars` (CDNOW_master.txt). The customer id
 * is the sample id when present (1..2357, as in the published summaries), else the master id,
 * with leading zeros removed.
 */
export function parseCdnow(text: string): Transaction[] {
  const out: Transaction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const f = lines[i]!.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') continue;
    if (f.length !== 4 && f.length !== 5) throw new TransactionParseError(`expected 4 or 5 fields, got ${f.length}`, i + 1);
    if (!/^\d+$/.test(f[0]!)) continue; // a header line
    const idField = f.length === 5 ? f[1]! : f[0]!;
    const day = parseDay(f[f.length - 3]!);
    const amount = Number(f[f.length - 1]);
    if (Number.isNaN(day)) throw new TransactionParseError(`bad date ${JSON.stringify(f[f.length - 3])}`, i + 1);
    if (!Number.isFinite(amount)) throw new TransactionParseError(`bad amount ${JSON.stringify(f[f.length - 1])}`, i + 1);
    out.push({ customerId: String(Number(idField)), day, amount });
  }
  return out;
}

/** Splits one CSV line, honouring double quotes ("a,b" and "" escapes). */
function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * Parses a CSV with a header naming `customer_id`, `date` and `amount` (any order, other columns
 * ignored). Dates are `YYYY-MM-DD` or ISO timestamps (the calendar date as written is used).
 * Throws TransactionParseError naming the first bad line.
 */
export function parseTransactionsCsv(text: string): Transaction[] {
  const lines = text.split(/\r?\n/);
  let headerLine = 0;
  while (headerLine < lines.length && lines[headerLine]!.trim() === '') headerLine++;
  if (headerLine >= lines.length) throw new TransactionParseError('the file is empty');
  const header = splitCsvLine(lines[headerLine]!.replace(/^\uFEFF/, '')).map((h) => h.trim().toLowerCase());
  const ci = header.indexOf('customer_id');
  const di = header.indexOf('date');
  const ai = header.indexOf('amount');
  const missing = [ci < 0 ? 'customer_id' : '', di < 0 ? 'date' : '', ai < 0 ? 'amount' : ''].filter(Boolean);
  if (missing.length > 0) {
    throw new TransactionParseError(`the header must name customer_id,date,amount; missing ${missing.join(', ')} (found: ${header.join(',')})`, headerLine + 1);
  }
  const out: Transaction[] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const f = splitCsvLine(line);
    const id = f[ci]?.trim();
    const dateText = f[di]?.trim();
    const amountText = f[ai]?.trim();
    if (!id) throw new TransactionParseError('empty customer_id', i + 1);
    if (dateText === undefined || amountText === undefined) throw new TransactionParseError(`expected ${header.length} columns, got ${f.length}`, i + 1);
    const day = parseDay(dateText);
    if (Number.isNaN(day)) throw new TransactionParseError(`bad date ${JSON.stringify(dateText)} (want YYYY-MM-DD or an ISO timestamp)`, i + 1);
    const amount = amountText === '' ? NaN : Number(amountText);
    if (!Number.isFinite(amount)) throw new TransactionParseError(`bad amount ${JSON.stringify(amountText)}`, i + 1);
    out.push({ customerId: id, day, amount });
  }
  return out;
}
