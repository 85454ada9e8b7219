/**
 * Recommendations at send time: the recommender job's model, stored in the models table, is read by
 * the real sender for each user, and the products land in the message, the provider's Context and
 * the ledger. A user who refused personalisation (PIPL Art. 24) gets the popular list, whatever
 * they bought.
 */
import { readFileSync } from 'node:fs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingest } from '../../functions/ingest/handler';
import { handler as recommendHandler } from '../../functions/recommend/handler';
import { depsFromEnv, sendBatch } from '../../functions/send/handler';
import { defaultConfig } from '../../shared/config';
import { isHoldout } from '../../shared/measure/holdout';
import { documentClient } from '../../shared/store/dynamo';
import { SendLedger } from '../../shared/store/send-ledger';
import { toRecord } from '../../infra/local/queue-runner';
import type { LocalRuntime } from '../../infra/local/runtime';
import { context, post, settle, startTestRuntime } from './helpers';
import { profileUpdate, purchase, reachable } from '../fixtures/events';

const SCAN_AT = '2026-06-01T02:00:00+08:00';
const SEND_AT = '2026-06-01T10:00:00+08:00';
const config = defaultConfig();
const treated = (name: string) => Array.from({ length: 200 }, (_, i) => `${name}-${i}`).find((id) => !isHoldout(id, 'winback', config.holdout))!;
const fan = treated('fan');
const refuser = treated('refuser');
const stranger = treated('stranger');
const day = (d: number) => `2025-0${1 + Math.floor(d / 28)}-${String(1 + (d % 28)).padStart(2, '0')}T10:00:00+08:00`;

let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime();
  process.env.REWAKE_NOW = SEND_AT;
  const events = [];
  // Twelve shoppers buy the tea set together with cups; "kettle" is what everyone buys (popular).
  for (let i = 0; i < 12; i++) {
    const u = `shopper-${i}`;
    events.push(purchase(u, day(i), 30, { sku: 'teaset', category: 'tea' }), purchase(u, day(i + 1), 10, { sku: 'cups', category: 'tea' }));
  }
  for (let i = 0; i < 20; i++) events.push(purchase(`buyer-${i}`, day(i), 20, { sku: 'kettle', category: 'kitchen' }));
  // Both bought the tea set seven weeks ago (a non-consumable: not offered again within 90 days);
  // one refuses personalised recommendations.
  const recently = '2026-04-15T10:00:00+08:00';
  events.push(purchase(fan, recently, 30, { sku: 'teaset', category: 'tea' }), reachable(fan, day(2)));
  events.push(purchase(refuser, recently, 30, { sku: 'teaset', category: 'tea' }), reachable(refuser, day(2)));
  events.push(profileUpdate(refuser, day(3), { consent: { personalisedRecommendations: false } }));
  // Someone the shop knows nothing about: what the non-personalised list looks like.
  events.push(reachable(stranger, day(2)));
  expect((await post(ingest, events)).statusCode).toBe(202);
  await settle(runtime);
  await recommendHandler({ source: 'test', now: SCAN_AT }, context('rewake-recommend-test'));
});

afterAll(async () => {
  delete process.env.REWAKE_NOW;
  await runtime?.stop();
});

const candidate = (userId: string) => ({ userId, campaign: 'winback', step: 0, asOf: '2026-06-01', scoredAt: SCAN_AT, state: 'dormant', tier: 'medium', reason: 'unknown', value: 30, holdout: false });

describe('recommendations at send time', () => {
  it('puts the user\'s own next products in the message, the provider Context and the ledger; popular ones for a refuser', async () => {
    const event = {
      Records: [fan, refuser, stranger].map((u, i) => toRecord({ MessageId: `m-${i}`, ReceiptHandle: `r-${i}`, Body: JSON.stringify(candidate(u)) }, 'arn:aws:sqs:local:1:q', 'local')),
    } as SQSEvent;

    const response = await sendBatch(event, depsFromEnv());

    expect(response.batchItemFailures).toEqual([]);
    const ledger = new SendLedger(documentClient(), process.env.SENDS_TABLE!);
    const [fanSend] = (await ledger.forUser(fan)).entries;
    const [refuserSend] = (await ledger.forUser(refuser)).entries;
    // What others bought with the tea set, and not the tea set again.
    expect(fanSend!.recommendations![0]).toBe('cups');
    expect(fanSend!.recommendations).not.toContain('teaset');
    // The refuser's history is not used: they get exactly what a stranger gets, the popular list.
    const [strangerSend] = (await ledger.forUser(stranger)).entries;
    expect(refuserSend!.recommendations).toEqual(strangerSend!.recommendations);
    expect(refuserSend!.recommendations).toContain('kettle');
    expect(refuserSend!.recommendations).not.toEqual(fanSend!.recommendations);

    const lines = readFileSync(runtime.outbox.outboxFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const addresses = Object.values(lines.flatMap((l) => Object.values(l.request.Addresses))) as { BodyOverride: string; Context: Record<string, string> }[];
    const fanMessage = addresses.find((a) => a.Context.userId === fan)!;
    expect(fanMessage.Context.recommendations!.split(',')[0]).toBe('cups');
    expect(fanMessage.BodyOverride).toContain('推荐：cups');
    expect(fanMessage.BodyOverride.endsWith('拒收请回复R')).toBe(true);
  });
});
