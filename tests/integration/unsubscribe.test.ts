/**
 * Unsubscribes and provider feedback end to end on the embedded runtime: the real unsubscribe and
 * feedback handlers, the real event store and fold on dynalite, the unsubscribe link served by the
 * local API server without an API key, as the stack deploys it.
 */
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as feedback } from '../../functions/feedback/handler';
import { handler as ingest } from '../../functions/ingest/handler';
import { handler as unsubscribe } from '../../functions/unsubscribe/handler';
import { apiRoutes, startLocalApi, type ApiHandler, type LocalApi } from '../../infra/local/api-server';
import type { LocalRuntime } from '../../infra/local/runtime';
import { unsubscribeHeaders, unsubscribeToken, unsubscribeUrl } from '../../shared/channels/ses';
import type { Profile } from '../../shared/profiles/aggregate';
import { documentClient } from '../../shared/store/dynamo';
import { EventStore } from '../../shared/store/event-store';
import { ProfileStore } from '../../shared/store/profile-store';
import { profileUpdate } from '../fixtures/events';
import { apiEvent, context, post, startTestRuntime } from './helpers';

const SECRET = 'integration-unsubscribe-key-0123456789';
const API_KEY = 'integration-api-key-0123456789';
const SIGNED_UP = '2026-01-02T09:00:00+08:00';

let runtime: LocalRuntime;
let api: LocalApi;
let profiles: ProfileStore;
let events: EventStore;

beforeAll(async () => {
  process.env.REWAKE_UNSUBSCRIBE_SECRET = SECRET;
  runtime = await startTestRuntime({
    channels: { ses: { fromAddress: '"Rewake Shop" <hello@shop.example>', unsubscribeBaseUrl: 'https://api.shop.example/v1/unsubscribe' } },
  });
  api = await startLocalApi({ apiKey: API_KEY, handler: apiRoutes(ingest as unknown as ApiHandler, unsubscribe as unknown as ApiHandler) });
  profiles = new ProfileStore(documentClient(), process.env.PROFILES_TABLE!);
  events = new EventStore(documentClient(), { eventsTable: process.env.EVENTS_TABLE!, profilesTable: process.env.PROFILES_TABLE!, retentionDays: 400 });
});
afterAll(async () => {
  delete process.env.REWAKE_UNSUBSCRIBE_SECRET;
  await api?.stop();
  await runtime?.stop();
});

/** A user reachable by email and SMS with both consents, stored through the ingest API. */
async function subscriber(userId: string, email = `${userId}@mail.example`, sms = '+8613812345678'): Promise<void> {
  const { statusCode } = await post(ingest as never, [profileUpdate(userId, SIGNED_UP, { channels: { email, sms }, consent: { email: true, sms: true } })]);
  expect(statusCode).toBe(202);
}

/** The profile as GET /v1/users/{userId} returns it, with the API key, as a support tool would. */
async function userView(userId: string): Promise<Profile> {
  const result = await (ingest as unknown as ApiHandler)(apiEvent('GET', '/v1/users/{userId}', { userId }), context());
  expect(result.statusCode).toBe(200);
  return JSON.parse(result.body).profile as Profile;
}

const link = (token: string) => `${api.url}/v1/unsubscribe?token=${encodeURIComponent(token)}`;
const oneClick = (token: string, body = 'List-Unsubscribe=One-Click') =>
  fetch(link(token), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('the unsubscribe link', () => {
  it('shows a confirmation page on GET without an API key, and changes nothing', async () => {
    await subscriber('u-page');
    const before = await profiles.get('u-page');

    const res = await fetch(link(unsubscribeToken('u-page', SECRET)));
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain('<form method="post"');
    expect(html).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(html).toMatch(/退订/);
    expect(html).toMatch(/Unsubscribe/);
    expect(await profiles.get('u-page')).toEqual(before);
  });

  it('withdraws email consent on the one-click POST, without an API key, and the profile shows it at once', async () => {
    await subscriber('u-click');

    const res = await oneClick(unsubscribeToken('u-click', SECRET));

    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/已退订/);
    // No settle(): the fold happened before the answer.
    const profile = await userView('u-click');
    expect(profile.consent).toEqual({ email: false, sms: true });
    expect(profile.optOut).toBe(false);
    expect(profile.channels.email).toBe('u-click@mail.example');
  });

  it('treats a second click as a no-op: still 200, no new event', async () => {
    await subscriber('u-twice');
    const token = unsubscribeToken('u-twice', SECRET);
    await oneClick(token);
    const factsAfterFirst = (await events.loadFacts('u-twice')).length;

    const again = await oneClick(token);

    expect(again.status).toBe(200);
    expect((await events.loadFacts('u-twice')).length).toBe(factsAfterFirst);
    expect(factsAfterFirst).toBe(2);
    expect((await profiles.get('u-twice'))!.consent.email).toBe(false);
  });

  it('answers 400 with the reason to a forged, damaged or missing token, and writes nothing', async () => {
    await subscriber('u-target');
    const before = await profiles.get('u-target');

    const forged = await oneClick(unsubscribeToken('u-target', 'not-our-key'));
    const damaged = await oneClick(unsubscribeToken('u-target', SECRET).slice(0, -3));
    const missing = await fetch(`${api.url}/v1/unsubscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });

    expect([forged.status, damaged.status, missing.status]).toEqual([400, 400, 400]);
    expect(await forged.text()).toMatch(/not issued by us/);
    expect(await damaged.text()).toMatch(/incomplete or damaged/);
    expect(await missing.text()).toMatch(/no token/);
    expect(await profiles.get('u-target')).toEqual(before);
    expect((await events.loadFacts('u-target')).length).toBe(1);
  });

  it('refuses a POST that is not the one-click request, so a stray POST cannot unsubscribe', async () => {
    await subscriber('u-stray');

    const res = await oneClick(unsubscribeToken('u-stray', SECRET), 'hello=world');

    expect(res.status).toBe(400);
    expect((await profiles.get('u-stray'))!.consent.email).toBe(true);
  });

  it('keeps the ingest routes behind the API key', async () => {
    const res = await fetch(`${api.url}/v1/users/u-click`);

    expect(res.status).toBe(403);
  });
});

/** An SQS event as Lambda delivers the feedback queue's messages (raw SNS delivery). */
function sqsEvent(...messages: unknown[]): SQSEvent {
  return {
    Records: messages.map((message, i) => ({
      messageId: `m-${i}-${Math.random().toString(36).slice(2)}`,
      receiptHandle: `r-${i}`,
      body: JSON.stringify(message),
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.parse('2026-03-01T02:00:00Z')), SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: '1' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:ap-northeast-1:123456789012:feedback',
      awsRegion: 'ap-northeast-1',
    })),
  };
}

/** An SES event (AWS's documented shape) for a message the SES channel sent to `userId` at `address`. */
function sesEvent(type: 'Bounce' | 'Complaint', userId: string, address: string, bounceType = 'Permanent') {
  const token = unsubscribeToken(userId, SECRET);
  const [header] = unsubscribeHeaders(unsubscribeUrl('https://api.shop.example/v1/unsubscribe', token), token);
  const mail = {
    timestamp: '2026-03-01T01:59:00.000Z',
    source: 'Rewake Shop <hello@shop.example>',
    messageId: `0100-${userId}-${type}`,
    destination: [address],
    headersTruncated: false,
    headers: [
      { name: 'From', value: 'Rewake Shop <hello@shop.example>' },
      { name: 'To', value: address },
      { name: header!.Name!, value: header!.Value! },
    ],
    tags: { 'ses:configuration-set': ['rewake'], userId: [userId.replace(/[^A-Za-z0-9_-]/g, '_')] },
  };
  return type === 'Bounce'
    ? { eventType: 'Bounce', bounce: { bounceType, bounceSubType: 'General', bouncedRecipients: [{ emailAddress: address, status: '5.1.1' }], timestamp: '2026-03-01T02:00:00.000Z' }, mail }
    : { eventType: 'Complaint', complaint: { complainedRecipients: [{ emailAddress: address }], timestamp: '2026-03-01T02:00:00.000Z', complaintFeedbackType: 'abuse' }, mail };
}

const runFeedback = async (...messages: unknown[]) => (feedback as unknown as (e: SQSEvent, c: unknown) => Promise<{ batchItemFailures: unknown[] }>)(sqsEvent(...messages), context('rewake-feedback'));

describe('provider feedback', () => {
  it('removes the address a Permanent bounce reports, for the user the message was sent to', async () => {
    await subscriber('u.bounced@shop', 'Gone@Mail.example');

    const result = await runFeedback(sesEvent('Bounce', 'u.bounced@shop', 'gone@mail.example'));

    expect(result.batchItemFailures).toEqual([]);
    const profile = (await profiles.get('u.bounced@shop'))!;
    expect(profile.channels).toEqual({ sms: '+8613812345678' });
    expect(profile.consent.email).toBe(true);
  });

  it('leaves an address the user has since changed, and ignores a Transient bounce', async () => {
    await subscriber('u-moved', 'new@mail.example');
    await subscriber('u-full', 'full@mail.example');

    await runFeedback(sesEvent('Bounce', 'u-moved', 'old@mail.example'), sesEvent('Bounce', 'u-full', 'full@mail.example', 'Transient'));

    expect((await profiles.get('u-moved'))!.channels.email).toBe('new@mail.example');
    expect((await profiles.get('u-full'))!.channels.email).toBe('full@mail.example');
  });

  it('withdraws email consent on a complaint, once however often SNS delivers it', async () => {
    await subscriber('u-complained');
    const complaint = sesEvent('Complaint', 'u-complained', 'u-complained@mail.example');

    await runFeedback(complaint);
    await runFeedback(complaint);

    expect((await profiles.get('u-complained'))!.consent.email).toBe(false);
    expect((await events.loadFacts('u-complained')).length).toBe(2);
  });

  it('withdraws SMS consent when the number replies R, for the user the SMS went to', async () => {
    await subscriber('u-sms', 'u-sms@mail.example', '+8613900001111');
    await subscriber('u-other', 'u-other@mail.example', '+8613900002222');
    // End User Messaging's delivery event for a message to u-sms (its Context names the user)...
    const delivered = {
      eventType: 'TEXT_DELIVERED',
      eventTimestamp: Date.parse('2026-03-01T01:00:00Z'),
      destinationPhoneNumber: '+8613900001111',
      messageId: 'sms-m-1',
      context: { userId: 'u-sms', campaign: 'winback', step: '0' },
    };
    // ...then the reply, which names only the number.
    const reply = { originationNumber: '+8613900001111', destinationNumber: '+8610690000', messageKeyword: '', messageBody: 'R', inboundMessageId: 'in-1', previousPublishedMessageId: 'sms-m-1' };

    const result = await runFeedback(delivered, reply);

    expect(result.batchItemFailures).toEqual([]);
    expect((await profiles.get('u-sms'))!.consent).toEqual({ email: true, sms: false });
    expect((await profiles.get('u-other'))!.consent.sms).toBe(true);
  });

  it('keeps a message of no known kind for a person to look at (a batch item failure), and handles the rest', async () => {
    await subscriber('u-mixed');

    const result = await runFeedback({ surprise: true }, sesEvent('Complaint', 'u-mixed', 'u-mixed@mail.example'));

    expect(result.batchItemFailures).toHaveLength(1);
    expect((await profiles.get('u-mixed'))!.consent.email).toBe(false);
  });
});
