/**
 * Every send decision (sent, deferred, suppressed and why, holdout) is written down, so an
 * operator can answer "why did this user get / not get a message?". On AWS it goes to the
 * structured log; a local run also appends it to out/decisions.jsonl (REWAKE_DECISIONS_FILE).
 * Lines carry ids, tiers, reasons and channel names — never an address or a message body.
 *
 * The sender writes most of them; the scan writes one more: `deferred` with reason
 * `lower_priority` when a due campaign waits because another one (`outrankedBy`) took the day.
 */
import { appendFileSync } from 'node:fs';
import type { CampaignKind } from '../campaigns/kinds';
import { logger } from '../observability';

export interface DecisionRecord {
  userId: string;
  campaign: string;
  step: number;
  /** The campaign's kind (absent in lines written before there were several). */
  kind?: CampaignKind;
  decision: 'sent' | 'deferred' | 'suppressed' | 'holdout' | 'retry' | 'failed';
  reason?: string;
  /** For `lower_priority`: the campaign enqueued (or under way) instead. */
  outrankedBy?: string;
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
