import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PinpointClient } from '@aws-sdk/client-pinpoint';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingest } from '../../functions/ingest/handler';
import { handler as scanHandler, type ScanSummary } from '../../functions/scan/handler';
import { runScanStateMachine } from '../../infra/local/scan-orchestrator';
import { handler as sendHandler, sendBatch, depsFromEnv } from '../../functions/send/handler';
import { PinpointChannel } from '../../shared/channels/pinpoint';
import { defaultConfig } from '../../shared/config';
import { isHoldout } from '../../shared/measure/holdout';
import { documentClient } from '../../shared/store/dynamo';
import { SendLedger } from '../../shared/store/send-ledger';
import { drainQueue } from '../../infra/local/queue-runner';
import { startPinpointOutbox } from '../../infra/local/pinpoint-outbox';
import { LOCAL_PINPOINT_APP_ID, type LocalRuntime } from '../../infra/local/runtime';
import { toRecord } from '../../infra/local/queue-runner';
import { apiEvent, context, post, settle, startTestRuntime } from './helpers';
import { profileUpdate, purchase, reachable } from '../fixtures/events';

const SCAN_AT = '2026-06-01T02:00:00+08:00';
const SEND_AT = '2026-06-01T10:00:00+08:00';
const LONG_AGO = '2025-07-01T10:00:00+08:00';

let runtime: LocalRuntime;
const config = defaultConfig();
const holdoutUser = Array.from({ length: 200 }, (_, i) => `h-${i}`).find((id) => isHoldout(id, 'winback', config.holdout))!;
const treatedId = (name: string) => Array.from({ length: 200 }, (_, i) => `${name}-${i}`).find((id) => !isHoldout(id, 'winback', config.holdout))!;
const dormant = treatedId('dormant');
const noConsent = treatedId('noconsent');
const optedOut = treatedId('optout');
const active = treatedId('active');

const outboxLines = () =>
  readFileSync(runtime.outbox.outboxFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { messages: { userId: string; step: number; channel: string; deliveryStatus: string }[]; request: { Addresses: Record<string, { BodyOverride: string }> } });
const sentTo = () => outboxLines().flatMap((l) => l.messages.map((m) => m.userId));

async function queueDepth(): Promise<number> {
  const out = await runtime.sqs.client.send(new GetQueueAttributesCommand({ QueueUrl: runtime.sqs.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

const drain = () => drainQueue({ client: runtime.sqs.client, queueUrl: runtime.sqs.queueUrl, handler: sendHandler as never, idlePollMs: 20 });

beforeAll(async () => {
  runtime = await startTestRuntime();
  process.env.REWAKE_NOW = SEND_AT;
  const res = await post(ingest, [
    purchase(dormant, LONG_AGO, 300),
    reachable(dormant, LONG_AGO),
    purchase(holdoutUser, LONG_AGO, 300),
    reachable(holdoutUser, LONG_AGO),
    purchase(noConsent, LONG_AGO, 300),
    profileUpdate(noConsent, LONG_AGO, { channels: { sms: '+8613900000001' } }),
    purchase(optedOut, LONG_AGO, 300),
    reachable(optedOut, LONG_AGO),
    profileUpdate(optedOut, '2025-08-01T10:00:00+08:00', { optOut: true }),
    purchase(active, '2026-05-20T10:00:00+08:00', 300),
    reachable(active, '2026-05-20T10:00:00+08:00'),
  ]);
  expect(res.statusCode).toBe(202);
  await settle(runtime);
});
afterAll(async () => {
  delete process.env.REWAKE_NOW;
  await runtime?.stop();
});

describe('scan → queue → sender → outbox', () => {
  let summary: ScanSummary;

  it('enqueues every dormant user and nobody active', async () => {
    summary = await runScanStateMachine(scanHandler as never, { source: 'test', now: SCAN_AT });

    expect(summary.byState).toMatchObject({ active: 1, dormant: 4 });
    expect(summary.enqueued).toBe(4);
    expect(summary.holdout).toBe(1);
    expect(await queueDepth()).toBe(4);
  });

  it('enqueues nothing more when the scan runs twice on one day', async () => {
    const again = await runScanStateMachine(scanHandler as never, { source: 'test', now: '2026-06-01T05:00:00+08:00' });

    expect(again.enqueued).toBe(0);
    expect(await queueDepth()).toBe(4);
  });

  it('messages only the consenting, treated user, once, with the refusal line', async () => {
    const stats = await drain();

    expect(stats).toMatchObject({ received: 4, succeeded: 4, failed: 0 });
    expect(sentTo()).toEqual([dormant]);
    const body = Object.values(outboxLines()[0]!.request.Addresses)[0]!.BodyOverride;
    expect(body.endsWith('拒收请回复R')).toBe(true);
    const decisions = readFileSync(runtime.decisionsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(decisions.map((d) => [d.userId, d.decision, d.reason ?? null]).sort()).toEqual(
      [
        [dormant, 'sent', 'SUCCESSFUL'],
        [holdoutUser, 'holdout', null],
        [noConsent, 'suppressed', 'no_consented_channel'],
        [optedOut, 'suppressed', 'opted_out'],
      ].sort(),
    );
  });

  it('does not send again when SQS delivers the same candidate a second time', async () => {
    const ledger = await new SendLedger(documentClient(), process.env.SENDS_TABLE!).forUser(dormant);
    const candidate = { ...ledger.entries[0]!, status: undefined };
    await runtime.sqs.client.send(new SendMessageCommand({ QueueUrl: runtime.sqs.queueUrl, MessageBody: JSON.stringify(candidate) }));

    await drain();

    expect(sentTo()).toEqual([dormant]);
  });

  it('reports a malformed record as a batch item failure while the others succeed', async () => {
    const good = { userId: 'nobody-here', campaign: 'winback', step: 0, asOf: '2026-06-01', scoredAt: SCAN_AT, state: 'dormant', tier: 'low', reason: 'unknown', value: 1, holdout: false };
    const records = [
      toRecord({ MessageId: 'm-good', ReceiptHandle: 'r1', Body: JSON.stringify(good) }, 'arn:aws:sqs:local:1:q', 'local'),
      toRecord({ MessageId: 'm-poison', ReceiptHandle: 'r2', Body: '{not json' }, 'arn:aws:sqs:local:1:q', 'local'),
    ];

    const response = await sendHandler({ Records: records } as SQSEvent, context());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-poison' }] });
  });
});

describe('provider failures', () => {
  it('records a provider OPT_OUT as withdrawn consent, so the next campaign step does not try that address again', async () => {
    const user = treatedId('opted-out-at-provider');
    await post(ingest, [purchase(user, LONG_AGO, 50), reachable(user, LONG_AGO)]);
    await settle(runtime);
    const outDir = mkdtempSync(join(tmpdir(), 'rewake-optout-'));
    const outbox = await startPinpointOutbox({ outDir, faults: () => 'OPT_OUT' });
    const channel = new PinpointChannel(new PinpointClient({ endpoint: outbox.endpoint, region: 'ap-northeast-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), { applicationId: LOCAL_PINPOINT_APP_ID });
    const deps = { ...depsFromEnv(), channel };
    const candidate = { userId: user, campaign: 'winback', step: 0, asOf: '2026-06-01', scoredAt: SCAN_AT, state: 'dormant', tier: 'low', reason: 'unknown', value: 50, holdout: false };
    const event = { Records: [toRecord({ MessageId: 'm-optout', ReceiptHandle: 'r', Body: JSON.stringify(candidate) }, 'arn:aws:sqs:local:1:q', 'local')] } as SQSEvent;

    try {
      const before = await ingest(apiEvent('GET', '/v1/users/{userId}', { userId: user }), context());
      const response = await sendBatch(event, deps);

      expect(response.batchItemFailures).toEqual([]);
      expect(JSON.parse(before.body).profile.consent.sms).toBe(true);
      const after = await ingest(apiEvent('GET', '/v1/users/{userId}', { userId: user }), context());
      expect(JSON.parse(after.body).profile.consent.sms).toBe(false);
      const ledger = new SendLedger(documentClient(), process.env.SENDS_TABLE!);
      expect((await ledger.forUser(user)).entries[0]).toMatchObject({ status: 'failed', detail: 'OPT_OUT' });
    } finally {
      await outbox.stop();
    }
  });

  it('retries a THROTTLED address through the queue and sends it once on the next delivery', async () => {
    const user = treatedId('throttled');
    await post(ingest, [purchase(user, LONG_AGO, 50), reachable(user, LONG_AGO)]);
    await settle(runtime);
    const outDir = mkdtempSync(join(tmpdir(), 'rewake-throttle-'));
    let throttle = true;
    const outbox = await startPinpointOutbox({ outDir, faults: () => (throttle ? 'THROTTLED' : undefined) });
    const channel = new PinpointChannel(new PinpointClient({ endpoint: outbox.endpoint, region: 'ap-northeast-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }), { applicationId: LOCAL_PINPOINT_APP_ID });
    const deps = { ...depsFromEnv(), channel };
    const candidate = { userId: user, campaign: 'winback', step: 0, asOf: '2026-06-01', scoredAt: SCAN_AT, state: 'dormant', tier: 'low', reason: 'unknown', value: 50, holdout: false };
    const ledger = new SendLedger(documentClient(), process.env.SENDS_TABLE!);
    await ledger.markQueued({ ...candidate, state: 'dormant', tier: 'low', reason: 'unknown', status: 'queued', queuedAt: SCAN_AT }, new Date(SCAN_AT));
    const event = { Records: [toRecord({ MessageId: 'm-1', ReceiptHandle: 'r', Body: JSON.stringify(candidate) }, 'arn:aws:sqs:local:1:q', 'local')] } as SQSEvent;

    try {
      const first = await sendBatch(event, deps);
      throttle = false;
      const second = await sendBatch(event, deps);
      const third = await sendBatch(event, deps);

      expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
      expect(second.batchItemFailures).toEqual([]);
      expect(third.batchItemFailures).toEqual([]);
      const statuses = readFileSync(outbox.outboxFile, 'utf8').split('\n').filter(Boolean).flatMap((l) => JSON.parse(l).messages.map((m: { deliveryStatus: string }) => m.deliveryStatus));
      expect(statuses).toEqual(['THROTTLED', 'SUCCESSFUL']);
      expect((await ledger.forUser(user)).entries[0]).toMatchObject({ status: 'sent' });
    } finally {
      await outbox.stop();
    }
  });
});
