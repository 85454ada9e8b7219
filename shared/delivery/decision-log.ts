/**
 * Every send decision (sent, deferred, suppressed and why, holdout) is written down, so an
 * operator can answer "why did this user get / not get a message?". On AWS it goes to the
 * structured log; a local run also appends it to out/decisions.jsonl (REWAKE_DECISIONS_FILE).
 * Lines carry ids, tiers, reasons and channel names — never an address or a message body.
 */
import { appendFileSync } from 'node:fs';
import { logger } from '../observability';

export interface DecisionRecord {
  userId: string;
  campaign: string;
  step: number;
  decision: 'sent' | 'deferred' | 'suppressed' | 'holdout' | 'retry' | 'failed';
  reason?: string;
  channel?: string;
  tier?: string;
  offerId?: string;
  at: string;
}

export function recordDecisions(records: DecisionRecord[], file = process.env.REWAKE_DECISIONS_FILE): void {
  if (records.length === 0) return;
  for (const record of records) logger.info('send decision', { ...record });
  if (file) appendFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}
