/**
 * Sender benchmark: the real `sendBatch` over SQS-shaped batches, with the providers faked in-process.
 *
 * One embedded runtime (dynalite + local SQS) for the run. For each provider setup, BENCH_SEND_MESSAGES
 * (2,000) fresh users, reachable and consenting on that setup's channel, dormant (one purchase long
 * before the scan) and outside the holdout, are folded by the real `foldProfile` and put straight into
 * the profiles table, and each gets a queued win-back step 0 in the ledger (`SendLedger.markQueued`, as
 * the scan does). The candidates are then cut into SQS records (`toRecord`, as the local event source
 * mapping builds them) in batches of `config.queue.senderBatchSize` (10) and handed to the real
 * `sendBatch`, one batch after the other (one sender instance), with the real channel classes:
 *
 *   pinpoint push  PinpointChannel  → aws-sdk-client-mock'd PinpointClient (SendMessages, ≤100 addresses)
 *   pinpoint sms   PinpointChannel  → same, SMS addresses
 *   ses email      SesEmailChannel  → aws-sdk-client-mock'd SESv2Client (SendEmail, one per message)
 *   eum sms        EumSmsChannel    → aws-sdk-client-mock'd PinpointSMSVoiceV2Client (SendTextMessage, one per message)
 *   webhook        WebhookChannel   → a local HTTP server on 127.0.0.1 answering `accepted` for every message
 *
 * Every fake answers success at once, so the rate is the sender's own cost: a profile GetItem, a ledger
 * Query, the conditional claim and the settle on dynalite, rendering, the decision log, and the
 * provider class's request building. Each setup checks that exactly N `sent` decisions were logged.
 *
 *   npm run bench -- send [--json]
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { SQSEvent } from 'aws-lambda';
import type { DeliveryChannel } from '../shared/channels/channel';
import type { Channel, RewakeConfig } from '../shared/config';
import type { Candidate } from '../shared/dormancy/candidate';
import type { RewakeEvent } from '../shared/events/schema';
import type { Profile } from '../shared/profiles/aggregate';
import { quietLocalEnv } from '../infra/local/quiet-env';

const DEFAULTS = {
  messages: envInt('BENCH_SEND_MESSAGES', 2_000),
  /** Writers in flight while preparing profiles and ledger entries. */
  prepareConcurrency: 8,
};

const SCAN_AT = '2026-06-01T02:00:00+08:00';
/** 10:00 in Asia/Shanghai: outside the default quiet hours. */
const SEND_AT = '2026-06-01T10:00:00+08:00';
const LONG_AGO = '2025-07-01T10:00:00+08:00';
const CAMPAIGN = 'winback';

type SetupName = 'pinpoint push' | 'pinpoint sms' | 'ses email' | 'eum sms' | 'webhook';

interface Setup {
  name: SetupName;
  /** The user's channel in this setup. */
  channel: Channel;
  provider: string;
  /** How the provider batches. */
  batching: string;
}

const SETUPS: Setup[] = [
  { name: 'pinpoint push', channel: 'push', provider: 'Pinpoint SendMessages', batching: '≤100 addresses per call' },
  { name: 'pinpoint sms', channel: 'sms', provider: 'Pinpoint SendMessages', batching: '≤100 addresses per call' },
  { name: 'ses email', channel: 'email', provider: 'SES v2 SendEmail', batching: 'one message per call, 5 in flight' },
  { name: 'eum sms', channel: 'sms', provider: 'EUM SMS SendTextMessage', batching: 'one message per call, 5 in flight' },
  { name: 'webhook', channel: 'webhook', provider: 'signed HTTP POST (local server)', batching: '≤maxBatch (100) per request' },
];

export interface SendSetupResult {
  setup: SetupName;
  channel: Channel;
  provider: string;
  batching: string;
  messages: number;
  sqsBatches: number;
  seconds: number;
  messagesPerSecond: number;
  msPerSqsBatch: number;
  sent: number;
  batchItemFailures: number;
  providerCalls: number;
  providerMessages: number;
  providerCallsPer1000: number;
  dynamoRequestsPerMessage: Record<string, number>;
  prepareSeconds: number;
}

export interface SendBenchReport {
  messagesPerSetup: number;
  sqsBatchSize: number;
  sendAt: string;
  setups: SendSetupResult[];
  notes: string[];
}

export async function benchSend(opts: { json: boolean }): Promise<void> {
  const report = await runSendBench();
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

export async function runSendBench(overrides: Partial<typeof DEFAULTS> = {}): Promise<SendBenchReport> {
  const options = { ...DEFAULTS, ...overrides };
  quietLocalEnv();
  const { defaultConfig } = await import('../shared/config');
  const config = defaultConfig();
  const { startLocalRuntime } = await import('../infra/local/runtime');
  const outDir = mkdtempSync(join(tmpdir(), 'rewake-bench-send-'));
  const runtime = await startLocalRuntime({ config, outDir });
  const webhook = await startWebhookServer();
  try {
    const { documentClient } = await import('../shared/store/dynamo');
    const db = documentClient();
    const counts: Record<string, number> = {};
    let counting = false;
    const counter = (next: (args: unknown) => Promise<unknown>, ctx: unknown) => async (args: unknown) => {
      if (counting) {
        const name = ((ctx as { commandName?: string }).commandName ?? 'unknown').replace(/Command$/, '');
        counts[name] = (counts[name] ?? 0) + 1;
      }
      return next(args);
    };
    db.middlewareStack.add(counter as never, { step: 'initialize', name: 'rewakeBenchCounter' });

    // Warm-up, not reported: JIT, SDK and emulator first-use costs would otherwise land on the first setup.
    {
      const { sendBatch } = await import('../functions/send/handler');
      const warm = await prepare(config, 'bench-send-warmup', 'push', { ...options, messages: Math.min(200, options.messages) });
      const fake = await fakeChannel(SETUPS[0]!, webhook);
      const deps = await senderDeps(fake.channel);
      for (const event of sqsBatches(warm, config.queue.senderBatchSize)) await sendBatch(event, deps);
      fake.restore();
    }

    const setups: SendSetupResult[] = [];
    for (const [index, setup] of SETUPS.entries()) {
      progress(`${setup.name}: preparing ${options.messages.toLocaleString('en')} users…`);
      const t0 = performance.now();
      const candidates = await prepare(config, `bench-send-${index}`, setup.channel, options);
      const prepareSeconds = (performance.now() - t0) / 1000;

      const fake = await fakeChannel(setup, webhook);
      const deps = await senderDeps(fake.channel);
      const events = sqsBatches(candidates, config.queue.senderBatchSize);
      const { sendBatch } = await import('../functions/send/handler');

      progress(`${setup.name}: sending ${events.length} SQS batches…`);
      for (const k of Object.keys(counts)) delete counts[k];
      counting = true;
      let failures = 0;
      const t1 = performance.now();
      for (const event of events) failures += (await sendBatch(event, deps)).batchItemFailures.length;
      const seconds = (performance.now() - t1) / 1000;
      counting = false;

      const sent = sentDecisions(runtime.decisionsFile, `bench-send-${index}-`);
      if (sent !== candidates.length || failures !== 0) {
        throw new Error(`${setup.name}: ${sent} sent decisions and ${failures} batch item failures for ${candidates.length} messages`);
      }
      if (fake.messages() !== candidates.length) {
        throw new Error(`${setup.name}: the provider saw ${fake.messages()} messages, ${candidates.length} were sent`);
      }
      setups.push({
        setup: setup.name,
        channel: setup.channel,
        provider: setup.provider,
        batching: setup.batching,
        messages: candidates.length,
        sqsBatches: events.length,
        seconds,
        messagesPerSecond: candidates.length / seconds,
        msPerSqsBatch: (seconds * 1000) / events.length,
        sent,
        batchItemFailures: failures,
        providerCalls: fake.calls(),
        providerMessages: fake.messages(),
        providerCallsPer1000: (1000 * fake.calls()) / candidates.length,
        dynamoRequestsPerMessage: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / candidates.length])),
        prepareSeconds,
      });
      fake.restore();
    }

    return {
      messagesPerSetup: options.messages,
      sqsBatchSize: config.queue.senderBatchSize,
      sendAt: SEND_AT,
      setups,
      notes: [
        'Absolute rates are from a shared 2-core machine (Node 20) with dynalite in the same process; they move with load. Provider calls per 1,000 messages do not.',
        `One sender instance: SQS batches of ${config.queue.senderBatchSize} handed to the real sendBatch one after the other. On AWS the event source mapping runs many instances at once, so the fleet rate is this times the concurrency, up to the provider's own limits (SES sending rate, SMS MPS, Pinpoint TPS).`,
        'Providers answer success at once (aws-sdk-client-mock for Pinpoint, SES and EUM SMS; a local HTTP server for the webhook): the time is the sender, the ledger on dynalite and the decision log, not the provider.',
        `Per-call providers (SES, EUM SMS) cost 1,000 calls per 1,000 messages; batching providers (Pinpoint, webhook) get one call per SQS batch, since the sender makes one provider pass per batch of ${config.queue.senderBatchSize}: 100 calls per 1,000, however large their own limit.`,
      ],
    };
  } finally {
    await webhook.stop();
    await runtime.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Preparation: profiles straight into the table, queued ledger entries

async function prepare(config: RewakeConfig, prefix: string, channel: Channel, options: typeof DEFAULTS): Promise<Candidate[]> {
  const { isHoldout } = await import('../shared/measure/holdout');
  const { foldProfile } = await import('../shared/profiles/aggregate');
  const { toFact } = await import('../shared/profiles/facts');
  const { documentClient, batchWrite } = await import('../shared/store/dynamo');
  const { SendLedger } = await import('../shared/store/send-ledger');
  const db = documentClient();
  const ledger = new SendLedger(db, process.env.SENDS_TABLE!);

  const profiles: Profile[] = [];
  for (let i = 0; profiles.length < options.messages; i++) {
    const userId = `${prefix}-${i}`;
    if (isHoldout(userId, CAMPAIGN, config.holdout)) continue;
    const profile = foldProfile(userId, [toFact(purchaseEvent(userId, i)), toFact(reachableEvent(userId, i, channel))]);
    if (!profile) throw new Error(`no profile for ${userId}`);
    profiles.push(profile);
  }
  const candidates = profiles.map(
    (p): Candidate => ({ userId: p.userId, campaign: CAMPAIGN, step: 0, asOf: SCAN_AT.slice(0, 10), scoredAt: SCAN_AT, state: 'dormant', tier: 'medium', reason: 'unknown', value: 60, holdout: false }),
  );

  await inParallel(chunks(profiles, 25), options.prepareConcurrency, (chunk) =>
    batchWrite(db, process.env.PROFILES_TABLE!, chunk.map((Item) => ({ PutRequest: { Item } }))),
  );
  await inParallel(candidates, options.prepareConcurrency, async (c) => {
    if (!(await ledger.markQueued({ ...c, status: 'queued', queuedAt: SCAN_AT }, new Date(SCAN_AT)))) throw new Error(`could not queue ${c.userId}`);
  });
  return candidates;
}

function purchaseEvent(userId: string, i: number): RewakeEvent {
  return {
    eventId: `${userId}-p`,
    userId,
    type: 'purchase',
    timestamp: LONG_AGO,
    properties: { orderId: `${userId}-o`, amount: 60, currency: 'CNY', items: [{ sku: `sku-${i % 50}`, category: 'tea', price: 60, quantity: 1 }] },
  } as RewakeEvent;
}

function reachableEvent(userId: string, i: number, channel: Channel): RewakeEvent {
  const address: Record<Channel, string> = {
    sms: `+86138${String(i).padStart(8, '0')}`,
    push: `fcm:token-${userId}`,
    email: `${userId}@example.com`,
    webhook: `wx-openid-${userId}`,
  };
  return {
    eventId: `${userId}-pr`,
    userId,
    type: 'profile',
    timestamp: LONG_AGO,
    // The default channelOrder is push, sms, email: a webhook (WeChat) user says so by preference.
    properties: {
      timezone: 'Asia/Shanghai',
      ...(channel === 'webhook' ? { preferredChannel: channel } : {}),
      channels: { [channel]: address[channel] },
      consent: { [channel]: true },
    },
  } as RewakeEvent;
}

function sqsBatches(candidates: Candidate[], size: number): SQSEvent[] {
  return chunks(candidates, size).map((batch) => ({
    Records: batch.map((c) => toRecordSync({ MessageId: `m-${c.userId}`, ReceiptHandle: `r-${c.userId}`, Body: JSON.stringify(c) })),
  }));
}

let toRecordFn: typeof import('../infra/local/queue-runner').toRecord | undefined;
function toRecordSync(message: { MessageId: string; ReceiptHandle: string; Body: string }) {
  return toRecordFn!(message, 'arn:aws:sqs:ap-northeast-1:000000000000:rewake-candidates', 'ap-northeast-1');
}

async function senderDeps(channel: DeliveryChannel) {
  const { depsFromEnv } = await import('../functions/send/handler');
  toRecordFn ??= (await import('../infra/local/queue-runner')).toRecord;
  // Everything as the deployed sender builds it, but the channel (and a fixed clock).
  return { ...depsFromEnv(), channel, now: () => new Date(SEND_AT) };
}

function sentDecisions(file: string, prefix: string): number {
  let sent = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const d = JSON.parse(line) as { userId: string; decision: string };
    if (d.decision === 'sent' && d.userId.startsWith(prefix)) sent += 1;
  }
  return sent;
}

// ---------------------------------------------------------------------------------------------
// Fake providers: the real channel classes around mocked clients, or a local HTTP server

interface FakeChannel {
  channel: DeliveryChannel;
  calls(): number;
  messages(): number;
  restore(): void;
}

async function fakeChannel(setup: Setup, webhook: WebhookServer): Promise<FakeChannel> {
  const { mockClient } = await import('aws-sdk-client-mock');
  const { ChannelRouter } = await import('../shared/channels/router');
  let calls = 0;
  let messages = 0;
  let id = 0;
  switch (setup.name) {
    case 'pinpoint push':
    case 'pinpoint sms': {
      const { PinpointClient, SendMessagesCommand } = await import('@aws-sdk/client-pinpoint');
      const { PinpointChannel } = await import('../shared/channels/pinpoint');
      const client = new PinpointClient({ region: 'ap-northeast-1' });
      const mock = mockClient(client);
      mock.on(SendMessagesCommand).callsFake((input: { MessageRequest?: { Addresses?: Record<string, unknown> } }) => {
        const addresses = Object.keys(input.MessageRequest?.Addresses ?? {});
        calls += 1;
        messages += addresses.length;
        return { MessageResponse: { Result: Object.fromEntries(addresses.map((a) => [a, { DeliveryStatus: 'SUCCESSFUL', StatusCode: 200, MessageId: `pp-${++id}` }])) } };
      });
      const pinpoint = new PinpointChannel(client, { applicationId: process.env.PINPOINT_APPLICATION_ID ?? '0123456789abcdef0123456789abcdef' });
      return { channel: new ChannelRouter({ push: pinpoint, sms: pinpoint }), calls: () => calls, messages: () => messages, restore: () => mock.restore() };
    }
    case 'ses email': {
      const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
      const { SesEmailChannel } = await import('../shared/channels/ses');
      const client = new SESv2Client({ region: 'ap-northeast-1' });
      const mock = mockClient(client);
      mock.on(SendEmailCommand).callsFake((input: { Destination?: { ToAddresses?: string[] } }) => {
        calls += 1;
        messages += input.Destination?.ToAddresses?.length ?? 0;
        return { MessageId: `ses-${++id}` };
      });
      const ses = new SesEmailChannel(client, {
        fromEmailAddress: '"Rewake Shop" <hello@shop.example>',
        unsubscribeBaseUrl: 'https://shop.example/unsubscribe',
        unsubscribeSecret: 'bench-unsubscribe-secret',
      });
      return { channel: new ChannelRouter({ email: ses }), calls: () => calls, messages: () => messages, restore: () => mock.restore() };
    }
    case 'eum sms': {
      const { PinpointSMSVoiceV2Client, SendTextMessageCommand } = await import('@aws-sdk/client-pinpoint-sms-voice-v2');
      const { EumSmsChannel } = await import('../shared/channels/sms');
      const client = new PinpointSMSVoiceV2Client({ region: 'ap-northeast-1' });
      const mock = mockClient(client);
      mock.on(SendTextMessageCommand).callsFake(() => {
        calls += 1;
        messages += 1;
        return { MessageId: `eum-${++id}` };
      });
      const sms = new EumSmsChannel(client, { originationIdentity: 'RewakeShop' });
      return { channel: new ChannelRouter({ sms }), calls: () => calls, messages: () => messages, restore: () => mock.restore() };
    }
    case 'webhook': {
      const { WebhookChannel } = await import('../shared/channels/webhook');
      webhook.reset();
      const channel = new WebhookChannel({ url: webhook.url, secret: 'bench-webhook-secret', channels: ['webhook'], maxBatch: 100 });
      return { channel: new ChannelRouter({ webhook: channel }), calls: () => webhook.calls, messages: () => webhook.messages, restore: () => undefined };
    }
  }
}

interface WebhookServer {
  url: string;
  calls: number;
  messages: number;
  reset(): void;
  stop(): Promise<void>;
}

/** Answers every message `accepted`, at once. */
async function startWebhookServer(): Promise<WebhookServer> {
  let id = 0;
  const state = { calls: 0, messages: 0 };
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const { messages } = JSON.parse(Buffer.concat(parts).toString('utf8')) as { messages: { id: string }[] };
      state.calls += 1;
      state.messages += messages.length;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: messages.map((m) => ({ id: m.id, status: 'accepted', messageId: `wh-${++id}` })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/rewake`,
    get calls() {
      return state.calls;
    },
    get messages() {
      return state.messages;
    },
    reset() {
      state.calls = 0;
      state.messages = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------
// Output

function formatReport(r: SendBenchReport): string {
  const n = (x: number, digits = 0) => x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const header: [string, string, string, string, string, string] = ['setup', 'messages/s', 'ms / SQS batch', 'provider calls / 1,000', 'DynamoDB requests / message', 'provider'];
  const rows = r.setups.map((s): [string, string, string, string, string, string] => [
    s.setup,
    n(s.messagesPerSecond),
    n(s.msPerSqsBatch, 1),
    n(s.providerCallsPer1000),
    Object.entries(s.dynamoRequestsPerMessage)
      .sort()
      .map(([k, v]) => `${k} ${n(v, 2)}`)
      .join(', '),
    `${s.provider}, ${s.batching}`,
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((cell, i) => (i === 1 || i === 2 || i === 3 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [
    `Rewake sender benchmark: ${n(r.messagesPerSetup)} messages per setup, SQS batches of ${r.sqsBatchSize}, sent at ${r.sendAt}; providers faked in-process`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `every setup: ${r.setups.map((s) => `${s.setup} ${n(s.sent)} sent / ${n(s.messages)}`).join('; ')}; 0 batch item failures`,
    '',
    'notes:',
    ...r.notes.map((x) => `  - ${x}`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Helpers

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function inParallel<T>(items: T[], concurrency: number, run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

/** One line of progress on a terminal; nothing when piped, so --json and logs stay clean. */
function progress(text: string): void {
  if (process.stderr.isTTY) process.stderr.write(`send bench: ${text}\n`);
}

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
