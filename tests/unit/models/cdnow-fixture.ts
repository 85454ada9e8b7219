/**
 * Loads the CDNOW fixtures (tests/fixtures/cdnow, copied from Hardie's data via lifetimes/BTYD)
 * once per test file.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { epochDay, parseCdnow, summarizeTransactions, type CustomerSummaries } from '../../../shared/models/index';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'cdnow');

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** The CDNOW sample summarised with Hardie's definitions: weeks, calibration to 1997-09-30, holdout to 1998-06-30. */
export function cdnowSummary(): CustomerSummaries {
  return summarizeTransactions(parseCdnow(fixtureText('CDNOW_sample.txt')), {
    calibrationEndDay: epochDay(1997, 9, 30),
    holdoutEndDay: epochDay(1998, 6, 30),
    periodDays: 7,
  });
}

export interface DerivedRow {
  cust: string;
  x: number;
  tx: number;
  T: number;
  xStar: number;
  mx: number;
  bgnbdPAlive: number;
  bgnbdCe39: number;
  pnbdPAlive: number;
  pnbdCe39: number;
}

/** cdnow_sample_cbs_39wk_derived.csv */
export function derivedRows(): DerivedRow[] {
  const lines = fixtureText('cdnow_sample_cbs_39wk_derived.csv').trim().split(/\r?\n/);
  return lines.slice(1).map((line) => {
    const f = line.split(',');
    return {
      cust: f[0]!,
      x: Number(f[1]),
      tx: Number(f[2]),
      T: Number(f[3]),
      xStar: Number(f[4]),
      mx: Number(f[5]),
      bgnbdPAlive: Number(f[6]),
      bgnbdCe39: Number(f[7]),
      pnbdPAlive: Number(f[8]),
      pnbdCe39: Number(f[9]),
    };
  });
}

/** published_reference_values.csv as (model, quantity) → value text. */
export function publishedValues(): Map<string, string> {
  const out = new Map<string, string>();
  const lines = fixtureText('published_reference_values.csv').trim().split(/\r?\n/).slice(1);
  for (const line of lines) {
    const fields: string[] = [];
    let cur = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        fields.push(cur);
        cur = '';
      } else cur += ch;
    }
    fields.push(cur);
    out.set(`${fields[0]}|${fields[1]}`, fields[2]!);
  }
  return out;
}

/** Parses a space-separated list of numbers from a published value. */
export function numbers(text: string | undefined): number[] {
  if (text === undefined) throw new Error('missing published value');
  return text.trim().split(/\s+/).map(Number);
}

export interface ReferenceVectors {
  customer_id: number[];
  frequency: number[];
  recency: number[];
  T: number[];
  monetary_value: number[];
  t_future_weeks: number;
  params: {
    bgnbd: { r: number; alpha: number; a: number; b: number };
    mbgnbd: { r: number; alpha: number; a: number; b: number };
    pareto_nbd: { r: number; alpha: number; s: number; beta: number };
    pareto_nbd_default_fit: { r: number; alpha: number; s: number; beta: number };
    gamma_gamma: { p: number; q: number; v: number };
  };
  bgnbd: { p_alive: number[]; cond_expected_purchases_39w: number[] };
  mbgnbd: { p_alive: number[]; cond_expected_purchases_39w: number[] };
  pareto_nbd: { p_alive: number[]; cond_expected_purchases_39w: number[] };
  pareto_nbd_default_fit: { p_alive: number[]; cond_expected_purchases_39w: number[] };
  gamma_gamma: { conditional_expected_average_profit: number[] };
  [key: string]: unknown;
}

/** lifetimes_reference_vectors.json */
export function referenceVectors(): ReferenceVectors {
  return JSON.parse(fixtureText('lifetimes_reference_vectors.json')) as ReferenceVectors;
}

/** The CLV block of the reference vectors (its key contains a dot). */
export function referenceClv(ref: ReferenceVectors): { with_bgnbd: number[]; with_mbgnbd: number[]; with_pareto_nbd: number[] } {
  return ref['clv_12m_dr0.01_W'] as { with_bgnbd: number[]; with_mbgnbd: number[]; with_pareto_nbd: number[] };
}

/** |actual/expected − 1| */
export function relErr(actual: number, expected: number): number {
  return Math.abs(actual / expected - 1);
}
