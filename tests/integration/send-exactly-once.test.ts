/**
 * One message per (user, campaign, step), whatever crashes or races: the ledger's conditional
 * claim decides (docs/design.md, "Exactly-once sends").
 */
import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingest } from '../../functions/ingest/handler';
import { depsFromEnv, sendBatch } from '../../functions/send/handler';
import { defaultConfig } from '../../shared/config';
import type { Candidate } from '../../shared/dormancy/candidate';
import { isHoldout } from '../../shared/measure/holdout';
import { documentClient } from '../../shared/store/dynamo';
import { SendLedger } from '../../shared/store/send-ledger';
import { toRecord } from '../../infra/local/queue-runner';
import type { LocalRuntime } from '../../infra/local/runtime';
import { crashingOnce, post, settle, startTestRuntime } from './helpers';
import { purchase, reachable } from '../fixtures/events';

const SCAN_AT = '2026-06-01T02:00:00+08:00';
const LONG_AGO = '2025-07-01T10:00:00+08:00';
const config = defaultConfig();
let runtime: LocalRuntime;
let ledger: SendLedger;
let n = 0;

/** A fresh treated, reachable, dormant user with a queued win-back step 0. */
async function queuedCandidate(): Promise<{ candidate: Candidate; event: SQSEvent }> {
  let userId = '';
  do userId = `once-${++n}`;
  while (isHoldout(userId, 'winback', config.holdout));
  await post(ingest, [purchase(userId, LONG_AGO, 60), reachable(userId, LONG_AGO)]);
  await settle(runtime);
  const candidate: Candidate = { userId, campaign: 'winback', step: 0, asOf: '2026-06-01', scoredAt: SCAN_AT, state: 'dormant', tier: 'medium', reason: 'unknown', value: 60, holdout: false };
  await ledger.markQueued({ ...candidate, status: 'queued', queuedAt: SCAN_AT }, new Date(SCAN_AT));
  const event = { Records: [toRecord({ MessageId: `m-${userId}`, ReceiptHandle: 'r', Body: JSON.stringify(candidate) }, 'arn:aws:sqs:local:1:q', 'local')] } as SQSEvent;
  return { candidate, event };
}

const messagesTo = (userId: string) =>
  readFileSync(runtime.outbox.outboxFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => (JSON.parse(l) as { messages: { userId: string }[] }).messages)
    .filter((m) => m.userId === userId).length;

beforeAll(async () => {
  runtime = await startTestRuntime();
  ledger = new SendLedger(documentClient(), process.env.SENDS_TABLE!);
  process.env.REWAKE_NOW = '2026-06-01T10:00:00+08:00';
});
afterAll(async () => {
  delete process.env.REWAKE_NOW;
  await runtime?.stop();
});

describe('the sender under crashes and races', () => {
  it('sends nothing twice after a crash between the claim and the provider call, and sends nothing at all', async () => {
    const { candidate, event } = await queuedCandidate();

    const first = await sendBatch(event, crashingOnce('claim', 'after'));
    const redelivered = await sendBatch(event, depsFromEnv());

    expect(first.batchItemFailures).toHaveLength(1);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(messagesTo(candidate.userId)).toBe(0);
    expect((await ledger.forUser(candidate.userId)).entries[0]).toMatchObject({ status: 'sending' });
  });

  it('sends once when the sender crashes after the provider accepted and before the ledger said so', async () => {
    const { candidate, event } = await queuedCandidate();

    const first = await sendBatch(event, crashingOnce('settle', 'before'));
    const redelivered = await sendBatch(event, depsFromEnv());

    expect(first.batchItemFailures).toHaveLength(1);
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(messagesTo(candidate.userId)).toBe(1);
  });

  it('sends once when two sender instances race on the same record', async () => {
    const { candidate, event } = await queuedCandidate();

    await Promise.all([sendBatch(event, depsFromEnv()), sendBatch(event, depsFromEnv()), sendBatch(event, depsFromEnv())]);

    expect(messagesTo(candidate.userId)).toBe(1);
    expect((await ledger.forUser(candidate.userId)).entries[0]).toMatchObject({ status: 'sent' });
  });

  it('counts an unsettled send against the frequency cap', async () => {
    const { candidate, event } = await queuedCandidate();
    await sendBatch(event, crashingOnce('settle', 'before'));
    const step1: Candidate = { ...candidate, step: 1 };
    await ledger.markQueued({ ...step1, status: 'queued', queuedAt: SCAN_AT }, new Date(SCAN_AT));

    await sendBatch({ Records: [toRecord({ MessageId: 'm-step1', ReceiptHandle: 'r', Body: JSON.stringify(step1) }, 'arn:aws:sqs:local:1:q', 'local')] } as SQSEvent, depsFromEnv());

    expect(messagesTo(candidate.userId)).toBe(1);
    expect((await ledger.forUser(candidate.userId)).entries.find((e) => e.step === 1)).toMatchObject({ status: 'suppressed', detail: 'frequency_cap' });
  });
});
