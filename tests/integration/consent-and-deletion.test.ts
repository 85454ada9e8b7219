import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingest } from '../../functions/ingest/handler';
import { handler as scanHandler, type ScanSummary } from '../../functions/scan/handler';
import { runScanStateMachine } from '../../infra/local/scan-orchestrator';
import { handler as sendHandler } from '../../functions/send/handler';
import { defaultConfig } from '../../shared/config';
import { isHoldout } from '../../shared/measure/holdout';
import { EventStore } from '../../shared/store/event-store';
import { documentClient } from '../../shared/store/dynamo';
import { drainQueue } from '../../infra/local/queue-runner';
import type { LocalRuntime } from '../../infra/local/runtime';
import { apiEvent, context, post, settle, startTestRuntime } from './helpers';
import { profileUpdate, purchase, reachable } from '../fixtures/events';

const LONG_AGO = '2025-07-01T10:00:00+08:00';
const config = defaultConfig();
const treated = (name: string) => Array.from({ length: 100 }, (_, i) => `${name}-${i}`).find((id) => !isHoldout(id, 'winback', config.holdout))!;
const withdrawn = treated('withdrawn');
const erased = treated('erased');
const kept = treated('kept');

let runtime: LocalRuntime;
const decisions = () => readFileSync(runtime.decisionsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { userId: string; decision: string; reason?: string });

beforeAll(async () => {
  runtime = await startTestRuntime();
  process.env.REWAKE_NOW = '2026-06-01T10:00:00+08:00';
  for (const user of [withdrawn, erased, kept]) await post(ingest, [purchase(user, LONG_AGO, 80), reachable(user, LONG_AGO)]);
  await settle(runtime);
});
afterAll(async () => {
  delete process.env.REWAKE_NOW;
  await runtime?.stop();
});

describe('changes between the scan and the send', () => {
  it('honours a consent withdrawal and a deletion ingested after the user was queued', async () => {
    const scan = await runScanStateMachine(scanHandler as never, { source: 'test', now: '2026-06-01T02:00:00+08:00' });
    expect(scan.enqueued).toBe(3);

    await post(ingest, [profileUpdate(withdrawn, '2026-06-01T08:00:00+08:00', { consent: { sms: false } })]);
    await ingest(apiEvent('DELETE', '/v1/users/{userId}', { userId: erased }), context());
    await drainQueue({ client: runtime.sqs.client, queueUrl: runtime.sqs.queueUrl, handler: sendHandler as never, idlePollMs: 20 });

    const byUser = Object.fromEntries(decisions().map((d) => [d.userId, `${d.decision}${d.reason && d.decision !== 'sent' ? ':' + d.reason : ''}`]));
    expect(byUser).toEqual({ [withdrawn]: 'suppressed:no_consented_channel', [erased]: 'suppressed:deleted', [kept]: 'sent' });
    const outbox = readFileSync(runtime.outbox.outboxFile, 'utf8');
    expect(outbox).toContain(kept);
    expect(outbox).not.toContain(withdrawn);
    expect(outbox).not.toContain(erased);
  });

  it('never scans a deleted user into a campaign again, even after new events', async () => {
    await post(ingest, [purchase(erased, '2025-08-01T10:00:00+08:00', 10)]);
    await settle(runtime);

    const scan = await runScanStateMachine(scanHandler as never, { source: 'test', now: '2026-07-01T02:00:00+08:00' });
    await drainQueue({ client: runtime.sqs.client, queueUrl: runtime.sqs.queueUrl, handler: sendHandler as never, idlePollMs: 20 });

    expect(scan.byState.dormant).toBe(3);
    expect(decisions().filter((d) => d.userId === erased).map((d) => d.reason)).toEqual(['deleted']);
  });
});

describe('raw event retention', () => {
  it('ignores raw events past their retention even though the emulator keeps them', async () => {
    const db = documentClient();
    const tables = { eventsTable: process.env.EVENTS_TABLE!, profilesTable: process.env.PROFILES_TABLE! };
    const writtenLongAgo = new EventStore(db, { ...tables, retentionDays: 30, now: () => new Date('2026-01-01T00:00:00Z') });
    const readToday = new EventStore(db, { ...tables, retentionDays: 30, now: () => new Date('2026-06-01T00:00:00Z') });
    await writtenLongAgo.ingest([purchase('u-old', '2025-12-31T10:00:00+08:00', 5)]);
    await readToday.ingest([purchase('u-old', '2026-05-31T10:00:00+08:00', 7)]);

    const events = await readToday.rawEvents('u-old');

    expect(events.map((e) => e.timestamp)).toEqual(['2026-05-31T10:00:00+08:00']);
    expect((await readToday.refreshProfile('u-old'))?.orderCount).toBe(2);
  });
});
