/**
 * Ingest benchmark (DESIGN "Targets": ingest reaches ≥ 80% of the emulator's raw BatchWriteItem rate,
 * and the handler's own CPU per event is small next to the write it causes).
 *
 * One run, on the same items (the demo dataset's events, repeated with fresh event and user ids):
 *   a. events/s end to end: the real ingest `handler` (middy, validation, the exactly-once write
 *      path) called with API Gateway proxy events, batches of 100, a few requests in flight, into a
 *      fresh embedded dynalite;
 *   b. the same emulator's raw BatchWriteItem rate for the same raw-event items, fresh emulator;
 *   c. a / b, per round, with the DynamoDB requests per event that explain it (counted by a
 *      middleware on the handler's document client);
 *   d. the handler's own CPU per event with I/O stubbed (route() over an in-memory `send`), with a
 *      breakdown (parse + validate, toFact, fold);
 *   e. DynamoDB capacity per event on AWS, from the items the run actually wrote: WCU per write by
 *      DynamoDB's item-size rules (UpdateItem and PutItem charged on the larger of before and after),
 *      and RCU for the profile-refresh Query.
 * Rounds alternate the order of a and b, and ratios are taken within a round, because this machine
 * is small and shared: absolute rates move with load, ratios much less.
 *
 *   npx tsx -e "import('./bench/ingest.ts').then(m=>m.benchIngest({json:false}))"
 *   BENCH_INGEST_EVENTS=10000 BENCH_INGEST_ROUNDS=2 BENCH_INGEST_CONCURRENCY=4 (defaults; ~2 minutes here)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RewakeEvent } from '../shared/events/schema';

export interface IngestBenchOptions {
  /** Events per timed pass, at least: the demo dataset is repeated with fresh ids until reached. */
  targetEvents: number;
  batchSize: number;
  /** Requests (or raw 100-item writers) in flight at once. */
  concurrency: number;
  rounds: number;
}

const DEFAULTS: IngestBenchOptions = {
  targetEvents: envInt('BENCH_INGEST_EVENTS', 10_000),
  batchSize: 100,
  concurrency: envInt('BENCH_INGEST_CONCURRENCY', 4),
  rounds: envInt('BENCH_INGEST_ROUNDS', 2),
};

export interface IngestBenchReport {
  workload: { events: number; users: number; batches: number; batchSize: number; concurrency: number; rounds: number; meanEventJsonBytes: number; source: string };
  rounds: { endToEndEventsPerSecond: number; rawItemsPerSecond: number; ratio: number; order: string }[];
  endToEnd: { eventsPerSecond: number; wallMicrosPerEvent: number; processCpuMicrosPerEvent: number };
  raw: { itemsPerSecond: number; wallMicrosPerItem: number; requestsPerItem: number; microsPerBatchRequest: number; microsPerSingleItemRequest: number };
  /** Emulator time per event predicted from request counts × measured request costs, and the ratio that implies. */
  model: { predictedMicrosPerEvent: number; predictedRatio: number; measuredMicrosPerEvent: number };
  ratio: { median: number; min: number; max: number; target: number; meetsTarget: boolean };
  /** DynamoDB requests the write path makes, per ingested event. */
  requestsPerEvent: { total: number; byCommand: Record<string, number> };
  /** Items written (put or updated) per event, end to end vs raw. */
  itemWritesPerEvent: { endToEnd: number; raw: number };
  handlerCpu: {
    microsPerEvent: number;
    breakdownMicrosPerEvent: { parseAndValidate: number; toFact: number; fold: number };
    /** Handler CPU per event over the end-to-end wall time per event, and over the raw write time per item. */
    shareOfEndToEndTime: number;
    shareOfRawWriteTime: number;
  };
  capacity: {
    wcuPerEvent: { total: number; rawEvents: number; facts: number; profiles: number };
    rcuPerEvent: { profileRefreshQuery: number };
    meanItemBytes: { rawEvent: number; dayBucketFinal: number; profileFinal: number };
    conditionalFailures: number;
    /** Shadow item sizes (replayed from the requests) that match the items read back at the end. */
    shadowCheck: { matched: number; checked: number };
  };
  limits: string[];
}

export async function benchIngest(opts: { json: boolean }): Promise<void> {
  const report = await runIngestBench();
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
}

// ---------------------------------------------------------------------------------------------

export async function runIngestBench(overrides: Partial<IngestBenchOptions> = {}): Promise<IngestBenchReport> {
  const options = { ...DEFAULTS, ...overrides };
  // Handlers build their logger and metrics at import: quiet them before anything loads.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_DEV ??= 'false';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const { loadDemoDataset, DEMO_DATASET } = await import('../infra/local/demo-dataset');
  const { defaultConfig } = await import('../shared/config');
  const { validateBatch } = await import('../shared/events/schema');

  const config = defaultConfig();
  const demo = loadDemoDataset();
  const copies = Math.max(1, Math.ceil(options.targetEvents / demo.events.length));
  const repeat = (tag: string, c: number) => (e: RewakeEvent): RewakeEvent => (c === 0 && !tag ? e : { ...e, eventId: `${e.eventId}.${tag}r${c}`, userId: `${e.userId}.${tag}r${c}` });
  const events = Array.from({ length: copies }, (_, c) => demo.events.map(repeat('', c))).flat();
  const warmup = demo.events.slice(0, 4 * options.batchSize).map(repeat('w', 0));

  const toBatches = (list: RewakeEvent[]) => {
    const out: RewakeEvent[][] = [];
    for (let i = 0; i < list.length; i += options.batchSize) out.push(list.slice(i, i + options.batchSize));
    return out;
  };
  const batches = toBatches(events);
  const warmupBatches = toBatches(warmup);
  const bodies = batches.map((b) => JSON.stringify({ events: b }));
  // The raw-event items exactly as the write path builds them (from the validated events).
  const validated = batches.map((b) => {
    const v = validateBatch(JSON.parse(JSON.stringify({ events: b })), config.events);
    if (!v.ok) throw new Error(`bench workload is invalid: ${JSON.stringify(v.problems.slice(0, 3))}`);
    return v.events;
  });

  const endToEnd: { seconds: number; cpuMicros: number; recorder?: Recorder }[] = [];
  const raw: { seconds: number; requests: number; singleRequestMicros: number }[] = [];
  const rounds: IngestBenchReport['rounds'] = [];

  const e2e = await EndToEnd.start(config);
  try {
    for (let round = 0; round < options.rounds; round++) {
      const rawFirst = round % 2 === 0;
      const runRaw = () => rawBatchWrite(warmupBatches, validated, config.events.retentionDays, options.concurrency);
      const runE2e = async () => {
        await e2e.freshTables();
        return e2e.run(warmupBatches, bodies, batches, options.concurrency, round === 0);
      };
      let rr: Awaited<ReturnType<typeof runRaw>>;
      let a: Awaited<ReturnType<typeof runE2e>>;
      if (rawFirst) {
        rr = await runRaw();
        a = await runE2e();
      } else {
        a = await runE2e();
        rr = await runRaw();
      }
      raw.push(rr);
      endToEnd.push(a);
      rounds.push({
        endToEndEventsPerSecond: events.length / a.seconds,
        rawItemsPerSecond: events.length / rr.seconds,
        ratio: rr.seconds / a.seconds,
        order: rawFirst ? 'raw, end-to-end' : 'end-to-end, raw',
      });
    }
  } finally {
    await e2e.stop();
  }

  const recorder = endToEnd[0]!.recorder!;
  const cpu = await handlerCpu(bodies, config);
  const medianE2eSeconds = median(endToEnd.map((x) => x.seconds));
  const medianRawSeconds = median(raw.map((x) => x.seconds));
  const ratios = rounds.map((r) => r.ratio);
  const capacity = recorder.capacity(events.length);
  const byCommand = Object.fromEntries(Object.entries(recorder.counts).map(([k, v]) => [k, v / events.length]));
  const requestsTotal = Object.values(recorder.counts).reduce((s, v) => s + v, 0) / events.length;
  const itemWrites = recorder.itemWrites / events.length;
  const wallMicrosPerEvent = (medianE2eSeconds * 1e6) / events.length;
  const rawMicrosPerItem = (medianRawSeconds * 1e6) / events.length;

  const report: IngestBenchReport = {
    workload: {
      events: events.length,
      users: new Set(events.map((e) => e.userId)).size,
      batches: batches.length,
      batchSize: options.batchSize,
      concurrency: options.concurrency,
      rounds: options.rounds,
      meanEventJsonBytes: Math.round(bodies.reduce((s, b) => s + Buffer.byteLength(b), 0) / events.length),
      source: `${DEMO_DATASET} (${demo.events.length} events, ${demo.customers} customers) ×${copies}, fresh event and user ids per copy`,
    },
    rounds,
    endToEnd: {
      eventsPerSecond: events.length / medianE2eSeconds,
      wallMicrosPerEvent,
      processCpuMicrosPerEvent: median(endToEnd.map((x) => x.cpuMicros)) / events.length,
    },
    raw: {
      itemsPerSecond: events.length / medianRawSeconds,
      wallMicrosPerItem: rawMicrosPerItem,
      requestsPerItem: median(raw.map((x) => x.requests)) / events.length,
      microsPerBatchRequest: (medianRawSeconds * 1e6) / median(raw.map((x) => x.requests)),
      microsPerSingleItemRequest: median(raw.map((x) => x.singleRequestMicros)),
    },
    model: { predictedMicrosPerEvent: 0, predictedRatio: 0, measuredMicrosPerEvent: wallMicrosPerEvent },
    ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios), target: 0.8, meetsTarget: median(ratios) >= 0.8 },
    requestsPerEvent: { total: requestsTotal, byCommand },
    itemWritesPerEvent: { endToEnd: itemWrites, raw: 1 },
    handlerCpu: {
      microsPerEvent: cpu.microsPerEvent,
      breakdownMicrosPerEvent: cpu.breakdown,
      shareOfEndToEndTime: cpu.microsPerEvent / wallMicrosPerEvent,
      shareOfRawWriteTime: cpu.microsPerEvent / rawMicrosPerItem,
    },
    capacity,
    limits: [],
  };
  const batchPerEvent = byCommand.BatchWriteItem ?? 0;
  const predicted = batchPerEvent * report.raw.microsPerBatchRequest + (requestsTotal - batchPerEvent) * report.raw.microsPerSingleItemRequest + cpu.microsPerEvent;
  report.model = { predictedMicrosPerEvent: predicted, predictedRatio: rawMicrosPerItem / predicted, measuredMicrosPerEvent: wallMicrosPerEvent };
  report.limits = explain(report);
  return report;
}

// ---------------------------------------------------------------------------------------------
// a. End to end through the real handler

const tinyContext = async (): Promise<Context> => {
  const { fakeLambdaContext } = await import('../infra/local/lambda-context');
  return fakeLambdaContext({ functionName: 'rewake-bench-ingest', timeoutMs: 900_000 });
};

function proxyEvent(body: string): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/v1/events',
    path: '/v1/events',
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    body,
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

class EndToEnd {
  private constructor(
    private readonly runtime: { stop(): Promise<void>; dynamo: { client: import('@aws-sdk/client-dynamodb').DynamoDBClient } },
    private readonly outDir: string,
    private readonly db: DynamoDBDocumentClient,
    private readonly handler: (event: APIGatewayProxyEvent, ctx: Context) => Promise<APIGatewayProxyResult>,
    private readonly context: Context,
  ) {}

  private recorder: Recorder | undefined;

  static async start(config: import('../shared/config').RewakeConfig): Promise<EndToEnd> {
    const { startLocalRuntime } = await import('../infra/local/runtime');
    const outDir = mkdtempSync(join(tmpdir(), 'rewake-bench-'));
    const runtime = await startLocalRuntime({ config, outDir });
    const { documentClient } = await import('../shared/store/dynamo');
    const db = documentClient();
    const end = new EndToEnd(runtime, outDir, db, (await import('../functions/ingest/handler')).handler as never, await tinyContext());
    // Counts (and, in the first round, records) every DynamoDB request the handler makes. Inputs
    // and outputs are document-level values here: the document client marshals further in.
    db.middlewareStack.add(
      (next, ctx) => async (args) => {
        const recorder = end.recorder;
        if (!recorder) return next(args);
        const call: Call = { command: (ctx as { commandName?: string }).commandName ?? 'unknown', input: args.input as Record<string, unknown> };
        recorder.calls.push(call);
        try {
          const out = await next(args);
          call.output = out.output as Record<string, unknown>;
          return out;
        } catch (error) {
          call.error = (error as { name?: string }).name ?? 'Error';
          throw error;
        }
      },
      { step: 'serialize', priority: 'high', name: 'rewakeBenchRecorder' },
    );
    return end;
  }

  /** Drops and re-creates the tables, so every round starts from an empty store like the raw pass. */
  async freshTables(): Promise<void> {
    const { DeleteTableCommand, DescribeTableCommand, ResourceNotFoundException } = await import('@aws-sdk/client-dynamodb');
    const { createTables } = await import('../infra/local/dynamo');
    const client = this.runtime.dynamo.client;
    const names = [process.env.EVENTS_TABLE!, process.env.PROFILES_TABLE!, process.env.SENDS_TABLE!];
    for (const TableName of names) await client.send(new DeleteTableCommand({ TableName }));
    for (const TableName of names) {
      for (;;) {
        try {
          await client.send(new DescribeTableCommand({ TableName }));
          await new Promise((r) => setTimeout(r, 5));
        } catch (error) {
          if (error instanceof ResourceNotFoundException) break;
          throw error;
        }
      }
    }
    await createTables(client, { prefix: 'rewake-local' });
  }

  async run(warmup: RewakeEvent[][], bodies: string[], batches: RewakeEvent[][], concurrency: number, record: boolean) {
    await pool(warmup.map((b) => JSON.stringify({ events: b })), concurrency, (body) => this.post(body, undefined));
    const recorder = record ? new Recorder() : undefined;
    this.recorder = recorder;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await pool(
      bodies.map((body, i) => ({ body, expected: batches[i]!.length })),
      concurrency,
      ({ body, expected }) => this.post(body, expected),
    );
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    this.recorder = undefined;
    if (recorder) await recorder.readBack(this.db);
    return { seconds, cpuMicros: cpu.user + cpu.system, recorder };
  }

  private async post(body: string, expected: number | undefined): Promise<void> {
    const res = await this.handler(proxyEvent(body), this.context);
    if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    const { accepted, duplicates } = JSON.parse(res.body) as { accepted: number; duplicates: number };
    if (expected !== undefined && accepted + duplicates !== expected) throw new Error(`ingest counted ${accepted}+${duplicates} of ${expected}`);
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    rmSync(this.outDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// b. The emulator's raw BatchWriteItem rate, same items, fresh emulator

async function rawBatchWrite(warmup: RewakeEvent[][], batches: RewakeEvent[][], retentionDays: number, concurrency: number) {
  const { startLocalDynamo, createTables } = await import('../infra/local/dynamo');
  const { localClientConfig } = await import('../infra/local/aws-config');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { DynamoDBDocumentClient } = await import('@aws-sdk/lib-dynamodb');
  const { batchWrite } = await import('../shared/store/dynamo');

  const dynamo = await startLocalDynamo();
  try {
    const tables = await createTables(dynamo.client, { prefix: 'rewake-raw' });
    // The same client set-up as shared/store/dynamo.ts, pointed at this emulator.
    const db = DynamoDBDocumentClient.from(new DynamoDBClient({ ...localClientConfig(dynamo.endpoint), maxAttempts: 5 }), {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
    let requests = 0;
    db.middlewareStack.add((next) => async (args) => (requests++, next(args)), { step: 'initialize', name: 'rewakeBenchCounter' });
    const expiresAt = Math.floor(Date.now() / 1000) + retentionDays * 86_400;
    // Exactly the items EventStore.putRawEvents writes.
    const itemsOf = (events: RewakeEvent[]) =>
      events.map((e) => ({ PutRequest: { Item: { userId: e.userId, sk: `E#${e.eventId}`, type: e.type, timestamp: e.timestamp, event: JSON.stringify(e), expiresAt } } }));
    const table = tables.EVENTS_TABLE;
    await pool(warmup.map(itemsOf), concurrency, (items) => batchWrite(db, table, items));
    const work = batches.map(itemsOf);
    requests = 0;
    const t0 = performance.now();
    await pool(work, concurrency, (items) => batchWrite(db, table, items));
    const seconds = (performance.now() - t0) / 1000;
    const batchRequests = requests;

    // Calibration: the same emulator's cost of one single-item request (PutItem of a new item, the
    // raw items again under another sort key), same concurrency. The write path's UpdateItem, Query
    // and PutItem are single-item requests of about this cost.
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const sample = work.flat().slice(0, Math.min(2_000, work.flat().length));
    const t1 = performance.now();
    await pool(sample, concurrency, (req) => db.send(new PutCommand({ TableName: table, Item: { ...req.PutRequest.Item, sk: `C#${req.PutRequest.Item.sk}` } })));
    const singleRequestMicros = ((performance.now() - t1) * 1000) / sample.length;
    db.destroy();
    return { seconds, requests: batchRequests, singleRequestMicros };
  } finally {
    await dynamo.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// d. The handler's own CPU, with DynamoDB replaced by an in-memory `send`

async function handlerCpu(bodies: string[], config: import('../shared/config').RewakeConfig) {
  const { route } = await import('../functions/ingest/handler');
  const { EventStore } = await import('../shared/store/event-store');
  const { ProfileStore } = await import('../shared/store/profile-store');
  const { SendLedger } = await import('../shared/store/send-ledger');
  const { validateBatch } = await import('../shared/events/schema');
  const { toFact } = await import('../shared/profiles/facts');
  const { foldProfile } = await import('../shared/profiles/aggregate');

  const events = bodies.reduce((n, b) => n + (JSON.parse(b) as { events: unknown[] }).events.length, 0);
  const pass = async () => {
    const db = new InMemoryDocumentClient() as unknown as DynamoDBDocumentClient;
    const deps = {
      config,
      events: new EventStore(db, { eventsTable: 'events', profilesTable: 'profiles', retentionDays: config.events.retentionDays }),
      profiles: new ProfileStore(db, 'profiles'),
      ledger: new SendLedger(db, 'sends'),
      now: () => new Date(),
    };
    const t0 = process.cpuUsage();
    for (const body of bodies) {
      const res = await route(proxyEvent(body), deps);
      if (res.statusCode !== 202) throw new Error(`stubbed ingest answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
    }
    const used = process.cpuUsage(t0);
    return (used.user + used.system) / events;
  };
  await pass(); // warm-up: JIT, zod's compiled parsers
  const microsPerEvent = Math.min(await pass(), await pass(), await pass());

  // Breakdown of the pure parts, the same batches.
  const time = (fn: () => void) => {
    fn();
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.cpuUsage();
      fn();
      const used = process.cpuUsage(t0);
      best = Math.min(best, (used.user + used.system) / events);
    }
    return best;
  };
  const parsed = bodies.map((b) => {
    const v = validateBatch(JSON.parse(b), config.events);
    if (!v.ok) throw new Error('invalid bench batch');
    return v.events;
  });
  const parseAndValidate = time(() => {
    for (const b of bodies) validateBatch(JSON.parse(b), config.events);
  });
  const factBatches = parsed.map((batch) => batch.map(toFact));
  const toFactMicros = time(() => {
    for (const batch of parsed) for (const e of batch) toFact(e);
  });
  // As the write path folds: per batch, each user touched, over all of that user's facts so far.
  const fold = time(() => {
    const history = new Map<string, ReturnType<typeof toFact>[]>();
    parsed.forEach((batch, i) => {
      const facts = factBatches[i]!;
      batch.forEach((e, j) => {
        const list = history.get(e.userId) ?? [];
        list.push(facts[j]!);
        history.set(e.userId, list);
      });
      for (const user of new Set(batch.map((e) => e.userId))) foldProfile(user, history.get(user)!);
    });
  });
  return { microsPerEvent, breakdown: { parseAndValidate, toFact: toFactMicros, fold } };
}

/**
 * Just enough of DynamoDB for the ingest write path: BatchWrite accepts, UpdateItem applies
 * `SET #a = if_not_exists(#a, :v)` and returns the old values, Query returns a user's day buckets,
 * Put stores. Its own cost is included in the handler CPU figure, which is therefore an upper bound.
 */
class InMemoryDocumentClient {
  private readonly items = new Map<string, Map<string, Record<string, unknown>>>();

  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<Record<string, unknown>> {
    const input = command.input;
    switch (command.constructor.name) {
      case 'BatchWriteCommand':
        return { UnprocessedItems: {} };
      case 'UpdateCommand': {
        const key = input.Key as { userId: string; sk: string };
        const user = this.items.get(key.userId) ?? new Map<string, Record<string, unknown>>();
        this.items.set(key.userId, user);
        const item = user.get(key.sk) ?? { ...key };
        user.set(key.sk, item);
        const names = input.ExpressionAttributeNames as Record<string, string>;
        const values = input.ExpressionAttributeValues as Record<string, unknown>;
        const old: Record<string, unknown> = {};
        for (const [, n, v] of (input.UpdateExpression as string).matchAll(/#(\w+) = if_not_exists\(#\w+, :(\w+)\)/g)) {
          const name = names[`#${n}`]!;
          if (name in item) old[name] = item[name];
          else item[name] = values[`:${v}`];
        }
        return { Attributes: Object.keys(old).length > 0 ? old : undefined };
      }
      case 'QueryCommand': {
        const values = input.ExpressionAttributeValues as Record<string, string>;
        const prefix = values[':d'] ?? values[':e'] ?? '';
        const user = this.items.get(values[':u']!) ?? new Map();
        return { Items: [...user.entries()].filter(([sk]) => sk.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, item]) => item) };
      }
      case 'PutCommand':
        return {};
      default:
        throw new Error(`in-memory DynamoDB stub: ${command.constructor.name} is not modelled`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// c, e. Recording requests; capacity units by DynamoDB's item-size rules

interface Call {
  command: string;
  input: Record<string, unknown>;
  output?: Record<string, unknown>;
  error?: string;
}

/** Size of an attribute value by DynamoDB's rules (CapacityUnitCalculations): UTF-8 strings, numbers ≈ 1 byte per 2 significant digits + 1, 3 bytes per list/map plus 1 per element. */
function valueBytes(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') return numberBytes(v);
  if (typeof v === 'boolean' || v === null) return 1;
  if (v instanceof Set) return [...v].reduce((s: number, x) => s + valueBytes(x), 0);
  if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + valueBytes(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as object).reduce((s, [k, x]) => (x === undefined ? s : s + 1 + Buffer.byteLength(k) + valueBytes(x)), 0);
  return 0;
}

function numberBytes(n: number): number {
  if (n === 0) return 1;
  const digits = Math.abs(n).toExponential().split('e')[0]!.replace('.', '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((s, [k, v]) => (v === undefined ? s : s + Buffer.byteLength(k) + valueBytes(v)), 0);
}

const wcu = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

class Recorder {
  readonly calls: Call[] = [];
  private finalItems: Map<string, number> | undefined;

  get counts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const c of this.calls) counts[c.command.replace(/Command$/, '')] = (counts[c.command.replace(/Command$/, '')] ?? 0) + 1;
    return counts;
  }

  get itemWrites(): number {
    let n = 0;
    for (const c of this.calls) {
      if (c.command === 'BatchWriteItemCommand') {
        for (const reqs of Object.values(c.input.RequestItems as Record<string, unknown[]>)) n += reqs.length;
        // Unprocessed items are re-sent in a later call and counted there.
        for (const reqs of Object.values((c.output?.UnprocessedItems ?? {}) as Record<string, unknown[]>)) n -= reqs.length;
      } else if ((c.command === 'UpdateItemCommand' || c.command === 'PutItemCommand') && !c.error) n += 1;
    }
    return n;
  }

  /** Reads back the items the run left, to check the replayed sizes against the real ones. */
  async readBack(db: DynamoDBDocumentClient): Promise<void> {
    const { ScanCommand } = await import('@aws-sdk/lib-dynamodb');
    const sizes = new Map<string, number>();
    for (const table of [process.env.EVENTS_TABLE!, process.env.PROFILES_TABLE!]) {
      let ExclusiveStartKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(new ScanCommand({ TableName: table, ExclusiveStartKey }));
        for (const item of page.Items ?? []) sizes.set(keyOf(table, item), itemBytes(item));
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
    }
    this.finalItems = sizes;
  }

  capacity(events: number): IngestBenchReport['capacity'] {
    // Replays the requests in the order they were issued over a shadow of item sizes.
    const shadow = new Map<string, Map<string, number>>();
    const sizeOf = (attrs: Map<string, number> | undefined) => (attrs ? [...attrs.values()].reduce((s, v) => s + v, 0) : 0);
    const attrsOf = (item: Record<string, unknown>) => new Map(Object.entries(item).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Buffer.byteLength(k) + valueBytes(v)]));
    const w = { rawEvents: 0, facts: 0, profiles: 0 };
    let rcu = 0;
    let conditionalFailures = 0;
    const rawSizes: number[] = [];
    const profilesTable = process.env.PROFILES_TABLE!;

    for (const call of this.calls) {
      const input = call.input;
      switch (call.command) {
        case 'BatchWriteItemCommand': {
          const unprocessed = (call.output?.UnprocessedItems ?? {}) as Record<string, unknown[]>;
          for (const [table, reqs] of Object.entries(input.RequestItems as Record<string, { PutRequest?: { Item: Record<string, unknown> } }[]>)) {
            const skipped = new Set((unprocessed[table] ?? []).map((r) => JSON.stringify(r)));
            for (const req of reqs) {
              if (!req.PutRequest || skipped.has(JSON.stringify(req))) continue;
              const item = req.PutRequest.Item;
              const key = keyOf(table, item);
              const attrs = attrsOf(item);
              rawSizes.push(sizeOf(attrs));
              w.rawEvents += wcu(Math.max(sizeOf(attrs), sizeOf(shadow.get(key))));
              shadow.set(key, attrs);
            }
          }
          break;
        }
        case 'UpdateItemCommand': {
          if (call.error) break;
          const table = input.TableName as string;
          const keyItem = input.Key as Record<string, unknown>;
          const key = keyOf(table, keyItem);
          const before = shadow.get(key);
          const after = new Map(before ?? attrsOf(keyItem));
          const names = input.ExpressionAttributeNames as Record<string, string>;
          const values = input.ExpressionAttributeValues as Record<string, unknown>;
          const clauses = [...(input.UpdateExpression as string).matchAll(/#(\w+) = if_not_exists\(#\w+, :(\w+)\)/g)];
          if (clauses.length === 0) throw new Error(`capacity model: unmodelled UpdateExpression ${String(input.UpdateExpression)}`);
          for (const [, n, v] of clauses) {
            const name = names[`#${n}`]!;
            if (!after.has(name)) after.set(name, Buffer.byteLength(name) + valueBytes(values[`:${v}`]));
          }
          w.facts += wcu(Math.max(sizeOf(before), sizeOf(after)));
          shadow.set(key, after);
          break;
        }
        case 'PutItemCommand': {
          const table = input.TableName as string;
          const item = input.Item as Record<string, unknown>;
          const key = keyOf(table, item);
          const old = shadow.get(key);
          if (call.error) {
            // A failed condition still consumes write capacity for the existing item's size.
            conditionalFailures++;
            w.profiles += wcu(sizeOf(old));
            break;
          }
          const attrs = attrsOf(item);
          w.profiles += wcu(Math.max(sizeOf(attrs), sizeOf(old)));
          shadow.set(key, attrs);
          break;
        }
        case 'QueryCommand': {
          // Eventually consistent: 0.5 RCU per 4 KB of the items read, summed over the page.
          const read = ((call.output?.Items ?? []) as Record<string, unknown>[]).reduce((s, item) => s + itemBytes(item), 0);
          rcu += Math.max(1, Math.ceil(read / 4096)) * (input.ConsistentRead ? 1 : 0.5);
          break;
        }
      }
    }

    let matched = 0;
    let checked = 0;
    const buckets: number[] = [];
    const profiles: number[] = [];
    for (const [key, attrs] of shadow) {
      const size = sizeOf(attrs);
      if (key.startsWith(`${profilesTable}\u0000`)) profiles.push(size);
      else if (key.includes('\u0000D#')) buckets.push(size);
      if (this.finalItems) {
        checked++;
        if (this.finalItems.get(key) === size) matched++;
      }
    }
    const total = w.rawEvents + w.facts + w.profiles;
    return {
      wcuPerEvent: { total: total / events, rawEvents: w.rawEvents / events, facts: w.facts / events, profiles: w.profiles / events },
      rcuPerEvent: { profileRefreshQuery: rcu / events },
      meanItemBytes: { rawEvent: mean(rawSizes), dayBucketFinal: mean(buckets), profileFinal: mean(profiles) },
      conditionalFailures,
      shadowCheck: { matched, checked },
    };
  }
}

function keyOf(table: string, item: Record<string, unknown>): string {
  return `${table}\u0000${String(item.userId)}\u0000${item.sk === undefined ? '' : String(item.sk)}`;
}

// ---------------------------------------------------------------------------------------------
// Report

function explain(r: IngestBenchReport): string[] {
  const lines: string[] = [];
  const by = r.requestsPerEvent.byCommand;
  const f = (x: number | undefined) => (x ?? 0).toFixed(2);
  if (!r.ratio.meetsTarget) {
    lines.push(
      `End to end makes ${f(r.requestsPerEvent.total)} DynamoDB requests per event (BatchWriteItem ${f(by.BatchWriteItem)}, UpdateItem ${f(by.UpdateItem)}, ` +
        `Query ${f(by.Query)}, PutItem ${f(by.PutItem)}) where the raw pass makes ${f(r.raw.requestsPerItem)} per item, and writes ` +
        `${f(r.itemWritesPerEvent.endToEnd)} items per event instead of 1: one raw item, one day-bucket update per (user, day) and one profile per user in each batch, plus a Query per user.`,
    );
    const single = r.requestsPerEvent.total - (by.BatchWriteItem ?? 0);
    lines.push(
      `Requests, not bytes, are the cost: in this emulator a single-item request takes ${r.raw.microsPerSingleItemRequest.toFixed(0)} µs and a 25-item BatchWriteItem ` +
        `${r.raw.microsPerBatchRequest.toFixed(0)} µs (${(r.raw.microsPerBatchRequest / 25).toFixed(0)} µs per item). ${f(single)} single-item requests per event × ` +
        `${r.raw.microsPerSingleItemRequest.toFixed(0)} µs + the raw batch + the handler's CPU predict ${r.model.predictedMicrosPerEvent.toFixed(0)} µs per event ` +
        `(measured ${r.model.measuredMicrosPerEvent.toFixed(0)}), a ratio of ${r.model.predictedRatio.toFixed(3)} (measured ${r.ratio.median.toFixed(3)}).`,
    );
    lines.push(
      'So 0.8 is out of reach for this write path on this data whatever the handler does; it needs the per-user Query + PutItem (and the per-(user, day) UpdateItem) ' +
        'off the request path or batched, e.g. facts written as items in the same BatchWriteItem and profiles folded asynchronously (stream or queue).',
    );
    lines.push(
      `Not the handler: its own CPU is ${r.handlerCpu.microsPerEvent.toFixed(0)} µs per event, ${(100 * r.handlerCpu.shareOfEndToEndTime).toFixed(1)}% of the end-to-end time per event.`,
    );
  } else {
    lines.push(`Meets the ≥ 0.8 target; the handler's own CPU is ${(100 * r.handlerCpu.shareOfEndToEndTime).toFixed(1)}% of the end-to-end time per event.`);
  }
  lines.push(
    'Users per 100-event batch drive the UpdateItem/Query/PutItem counts: batches that carry many events of few users (an app posting one user\u2019s session) amortise them, the time-ordered demo data (about one user per two events) does not.',
  );
  return lines;
}

function formatReport(r: IngestBenchReport): string {
  const n = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  const rows: [string, string, string][] = [
    ['a. end to end (handler → dynalite)', `${n(r.endToEnd.eventsPerSecond)} events/s`, r.rounds.map((x) => n(x.endToEndEventsPerSecond)).join(', ')],
    ['b. raw BatchWriteItem, same items', `${n(r.raw.itemsPerSecond)} items/s`, r.rounds.map((x) => n(x.rawItemsPerSecond)).join(', ')],
    ['c. ratio a / b (target ≥ 0.80)', `${n(r.ratio.median, 3)} ${r.ratio.meetsTarget ? '(meets)' : '(BELOW target)'}`, r.rounds.map((x) => n(x.ratio, 3)).join(', ')],
    [
      '   DynamoDB requests per event',
      `${n(r.requestsPerEvent.total, 3)} (raw ${n(r.raw.requestsPerItem, 3)})`,
      Object.entries(r.requestsPerEvent.byCommand).map(([k, v]) => `${k} ${n(v, 3)}`).join(', '),
    ],
    ['   items written per event', `${n(r.itemWritesPerEvent.endToEnd, 2)} (raw 1)`, ''],
    [
      '   emulator cost per request',
      `${n(r.raw.microsPerSingleItemRequest)} µs single-item`,
      `${n(r.raw.microsPerBatchRequest)} µs per 25-item BatchWriteItem; model predicts ${n(r.model.predictedMicrosPerEvent)} µs/event, ratio ${n(r.model.predictedRatio, 3)} (measured ${n(r.model.measuredMicrosPerEvent)} µs/event)`,
    ],
    [
      'd. handler CPU per event, I/O stubbed',
      `${n(r.handlerCpu.microsPerEvent, 1)} µs`,
      `parse+validate ${n(r.handlerCpu.breakdownMicrosPerEvent.parseAndValidate, 1)}, toFact ${n(r.handlerCpu.breakdownMicrosPerEvent.toFact, 1)}, fold ${n(r.handlerCpu.breakdownMicrosPerEvent.fold, 1)} µs`,
    ],
    ['   share of end-to-end time per event', `${n(100 * r.handlerCpu.shareOfEndToEndTime, 1)} %`, `${n(100 * r.handlerCpu.shareOfRawWriteTime, 1)} % of one raw item write`],
    ['   process CPU per event, end to end', `${n(r.endToEnd.processCpuMicrosPerEvent, 0)} µs`, 'handler + SDK + in-process dynalite'],
    [
      'e. WCU per event on AWS',
      n(r.capacity.wcuPerEvent.total, 2),
      `raw events ${n(r.capacity.wcuPerEvent.rawEvents, 2)}, facts ${n(r.capacity.wcuPerEvent.facts, 2)}, profiles ${n(r.capacity.wcuPerEvent.profiles, 2)}`,
    ],
    ['   RCU per event (profile refresh Query)', n(r.capacity.rcuPerEvent.profileRefreshQuery, 2), 'eventually consistent, 0.5 per 4 KB read'],
    [
      '   mean item size (bytes)',
      `raw ${n(r.capacity.meanItemBytes.rawEvent)}`,
      `day bucket ${n(r.capacity.meanItemBytes.dayBucketFinal)}, profile ${n(r.capacity.meanItemBytes.profileFinal)} (final); sizes replayed match ${r.capacity.shadowCheck.matched}/${r.capacity.shadowCheck.checked} stored items`,
    ],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const wl = r.workload;
  return [
    `Rewake ingest benchmark: ${n(wl.events)} events, ${n(wl.users)} users, ${wl.batches} batches of ${wl.batchSize}, ${wl.concurrency} requests in flight, ${wl.rounds} rounds (median; per round on the right)`,
    `  items: ${wl.source}; mean ${wl.meanEventJsonBytes} bytes of JSON per event`,
    '',
    ...rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`),
    '',
    'What limits the ratio:',
    ...r.limits.map((l) => `  - ${l}`),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}
