/**
 * The webhook channel against a real HTTP server on 127.0.0.1: the server verifies each request's
 * signature with `verifyWebhookSignature` on the raw body, as a provider would, then answers with
 * whatever the test scripted.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../../../shared/channels/channel';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature, WebhookChannel, WebhookError, type WebhookMessage } from '../../../shared/channels/webhook';

const SECRET = 'whsec-integration';

interface Received {
  headers: IncomingHttpHeaders;
  rawBody: string;
  verified: boolean;
  messages: WebhookMessage[];
}
type Reply = { status: number; body: string } | 'hang';

let server: Server;
let url: string;
let received: Received[] = [];
/** How the provider answers a verified request; unverified ones always get 401. */
let reply: (request: Received, index: number) => Reply;

const acceptAll = (request: Received): Reply => ({ status: 200, body: JSON.stringify({ results: request.messages.map((m) => ({ id: m.id, status: 'accepted', messageId: `p-${m.id}` })) }) });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const verified = verifyWebhookSignature({
        secret: SECRET,
        timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
        signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        body: rawBody,
      });
      const request: Received = { headers: req.headers, rawBody, verified, messages: verified ? (JSON.parse(rawBody) as { messages: WebhookMessage[] }).messages : [] };
      received.push(request);
      const answer: Reply = verified ? reply(request, received.length - 1) : { status: 401, body: '{"error":"bad signature"}' };
      if (answer === 'hang') return; // never answers: the client's timeout has to end it
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rewake/deliver`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  received = [];
  reply = acceptAll;
});

const msg = (n: number, overrides: Partial<OutgoingMessage> = {}): OutgoingMessage => ({
  key: `k-${n}`,
  userId: `user-${n}`,
  campaign: 'winback',
  step: 1,
  channel: 'sms',
  address: `+8613900000${String(n).padStart(3, '0')}`,
  title: '茶里：好久不见',
  body: `【茶里】好久不见，第${n}位。拒收请回复R`,
  ...overrides,
});

async function rejection(promise: Promise<unknown>): Promise<WebhookError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WebhookError);
  return error as WebhookError;
}

describe('WebhookChannel against a local provider', () => {
  it('posts a signed JSON batch that the provider verifies, with every message field', async () => {
    // Prepare
    const channel = new WebhookChannel({ url, secret: SECRET, channels: ['sms'] });

    // Act
    await channel.send([msg(1, { recommendations: ['tea-01', 'cup-02'] }), msg(2)]);

    // Assess
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.verified).toBe(true);
    expect(request!.headers['content-type']).toMatch(/^application\/json/);
    expect(request!.headers[SIGNATURE_HEADER]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(JSON.parse(request!.rawBody)).toEqual({
      messages: [
        { id: 'k-1', userId: 'user-1', campaign: 'winback', step: 1, channel: 'sms', address: '+8613900000001', title: '茶里：好久不见', body: '【茶里】好久不见，第1位。拒收请回复R', recommendations: ['tea-01', 'cup-02'] },
        { id: 'k-2', userId: 'user-2', campaign: 'winback', step: 1, channel: 'sms', address: '+8613900000002', title: '茶里：好久不见', body: '【茶里】好久不见，第2位。拒收请回复R', recommendations: [] },
      ],
    });
  });

  it('maps the provider’s per-message statuses to sent, suppress and retry', async () => {
    // Prepare
    reply = () => ({
      status: 200,
      body: JSON.stringify({
        results: [
          { id: 'k-1', status: 'accepted', messageId: 'p-1' },
          { id: 'k-2', status: 'rejected' },
          { id: 'k-3', status: 'opted_out' },
          { id: 'k-4', status: 'retry' },
          { id: 'k-5', status: 'queued-somewhere' },
        ],
      }),
    });
    const channel = new WebhookChannel({ url, secret: SECRET, channels: ['sms'] });

    // Act
    const outcomes = await channel.send([1, 2, 3, 4, 5, 6].map((n) => msg(n)));

    // Assess
    expect(outcomes).toEqual([
      { key: 'k-1', result: 'sent', status: 'SUCCESSFUL', messageId: 'p-1' },
      { key: 'k-2', result: 'suppress', status: 'PERMANENT_FAILURE' },
      { key: 'k-3', result: 'suppress', status: 'OPT_OUT' },
      { key: 'k-4', result: 'retry', status: 'TEMPORARY_FAILURE' },
      { key: 'k-5', result: 'retry', status: 'UNKNOWN_STATUS' },
      { key: 'k-6', result: 'retry', status: 'MISSING' },
    ]);
  });

  it('throws a retryable error when the provider answers 500, so the whole batch is retried', async () => {
    // Prepare
    reply = () => ({ status: 500, body: '{"error":"internal"}' });
    const channel = new WebhookChannel({ url, secret: SECRET });

    // Act
    const error = await rejection(channel.send([msg(1, { channel: 'webhook' })]));

    // Assess
    expect(error).toMatchObject({ name: 'WebhookError', retryable: true, httpStatus: 500 });
  });

  it('throws a retryable error when the provider answers 429', async () => {
    // Prepare
    reply = () => ({ status: 429, body: '' });
    const channel = new WebhookChannel({ url, secret: SECRET });

    // Act
    const error = await rejection(channel.send([msg(1, { channel: 'webhook' })]));

    // Assess
    expect(error).toMatchObject({ retryable: true, httpStatus: 429 });
  });

  it('throws a non-retryable error when the provider refuses our signature', async () => {
    // Prepare: signed with a secret the provider does not know
    const channel = new WebhookChannel({ url, secret: 'not-the-shared-secret' });

    // Act
    const error = await rejection(channel.send([msg(1, { channel: 'webhook' })]));

    // Assess
    expect(received[0]!.verified).toBe(false);
    expect(error).toMatchObject({ retryable: false, httpStatus: 401 });
  });

  it('throws when a 200 reply is not the results JSON', async () => {
    // Prepare
    reply = () => ({ status: 200, body: '<html>ok</html>' });
    const channel = new WebhookChannel({ url, secret: SECRET });

    // Act
    const error = await rejection(channel.send([msg(1, { channel: 'webhook' })]));

    // Assess
    expect(error.message).toMatch(/not JSON/);
  });

  it('throws a timeout error when the provider does not answer in time', async () => {
    // Prepare
    reply = () => 'hang';
    const channel = new WebhookChannel({ url, secret: SECRET, timeoutMs: 100 });

    // Act
    const error = await rejection(channel.send([msg(1, { channel: 'webhook' })]));

    // Assess
    expect(error).toMatchObject({ retryable: true });
    expect(error.message).toMatch(/timed out/);
  });

  it('throws a retryable error when nothing listens at the URL', async () => {
    // Prepare: a port that was just free
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const channel = new WebhookChannel({ url: `http://127.0.0.1:${port}/`, secret: SECRET });

    // Act
    const error = await rejection(channel.send([msg(1, { channel: 'webhook' })]));

    // Assess
    expect(error).toMatchObject({ retryable: true, httpStatus: undefined });
  });

  it('splits a batch into signed requests of at most maxBatch messages', async () => {
    // Prepare
    const channel = new WebhookChannel({ url, secret: SECRET, channels: ['sms'], maxBatch: 2 });

    // Act
    const outcomes = await channel.send([1, 2, 3, 4, 5].map((n) => msg(n)));

    // Assess
    expect(received.map((r) => [r.verified, r.messages.map((m) => m.id)])).toEqual([
      [true, ['k-1', 'k-2']],
      [true, ['k-3', 'k-4']],
      [true, ['k-5']],
    ]);
    expect(outcomes.map((o) => o.result)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
  });

  it('keeps the outcomes of an accepted request when a later request of the batch fails', async () => {
    // Prepare
    reply = (request, index) => (index === 0 ? acceptAll(request) : { status: 503, body: '' });
    const channel = new WebhookChannel({ url, secret: SECRET, channels: ['sms'], maxBatch: 2 });

    // Act
    const outcomes = await channel.send([1, 2, 3, 4, 5].map((n) => msg(n)));

    // Assess: the third request is never made
    expect(received).toHaveLength(2);
    expect(outcomes.map((o) => [o.key, o.result])).toEqual([
      ['k-1', 'sent'],
      ['k-2', 'sent'],
      ['k-3', 'retry'],
      ['k-4', 'retry'],
      ['k-5', 'retry'],
    ]);
  });

  it('serves the webhook channel unless told otherwise', () => {
    expect(new WebhookChannel({ url, secret: SECRET }).channels).toEqual(['webhook']);
    expect(new WebhookChannel({ url, secret: SECRET, channels: ['sms'] }).channels).toEqual(['sms']);
  });

  it('appends the refusal line to an SMS body that lacks it, but leaves other channels alone', async () => {
    // Prepare
    const channel = new WebhookChannel({ url, secret: SECRET, channels: ['sms', 'push'] });

    // Act
    await channel.send([msg(1, { body: '【茶里】好久不见！' }), msg(2, { channel: 'push', body: '好久不见！' })]);

    // Assess
    expect(received[0]!.messages.map((m) => m.body)).toEqual(['【茶里】好久不见！拒收请回复R', '好久不见！']);
  });
});
