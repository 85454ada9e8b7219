/**
 * Integration tests run the real handlers on the embedded runtime (dynalite, local-aws-sqs, the
 * fake Pinpoint), started once per test file: the same wiring `npm start` uses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { depsFromEnv, type SendDeps } from '../../functions/send/handler';
import { parseConfig, type RewakeConfigInput } from '../../shared/config';
import type { SendLedger } from '../../shared/store/send-ledger';
import { fakeLambdaContext } from '../../infra/local/lambda-context';
import { settleProfiles } from '../../infra/local/cli';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime';

export async function startTestRuntime(config: RewakeConfigInput = {}): Promise<LocalRuntime> {
  return startLocalRuntime({ config: parseConfig(config), outDir: mkdtempSync(join(tmpdir(), 'rewake-test-')) });
}

export function apiEvent(method: string, resource: string, opts: { body?: unknown; rawBody?: string; contentType?: string | null; userId?: string } = {}): APIGatewayProxyEvent {
  const path = opts.userId ? resource.replace('{userId}', opts.userId) : resource;
  const headers: Record<string, string> = {};
  if (opts.contentType !== null) headers['content-type'] = opts.contentType ?? 'application/json';
  return {
    httpMethod: method,
    resource,
    path,
    pathParameters: opts.userId ? { userId: opts.userId } : null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers,
    multiValueHeaders: {},
    body: opts.rawBody ?? (opts.body === undefined ? null : JSON.stringify(opts.body)),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

export const context = (functionName = 'rewake-test') => fakeLambdaContext({ functionName, timeoutMs: 60_000 });

export type HttpHandler = (event: APIGatewayProxyEvent, ctx: ReturnType<typeof context>) => Promise<APIGatewayProxyResult>;

export async function post(handler: HttpHandler, events: unknown[]): Promise<{ statusCode: number; body: any }> {
  const result = await handler(apiEvent('POST', '/v1/events', { body: { events } }), context());
  return { statusCode: result.statusCode, body: JSON.parse(result.body) };
}

/** Let the profiles Lambda (its local stand-in) fold everything ingest queued. */
export async function settle(runtime: LocalRuntime): Promise<void> {
  const stats = await settleProfiles(runtime);
  // A record retried after a slow batch outlived its (short, local) visibility timeout is fine: folds
  // are idempotent. One whose last attempt failed was dead-lettered: that profile is wrong.
  if (stats.deadLettered > 0) throw new Error(`profile refresh failed for ${stats.deadLettered} record(s), now dead-lettered`);
}

/**
 * Sender deps whose ledger `method` throws once after (or instead of) doing its work: a crash at
 * that point. `userId` aims the crash at that user's record; `base` supplies the other deps (and
 * the ledger to wrap, so crashes compose).
 */
export function crashingOnce(method: 'claim' | 'settle', when: 'after' | 'before', opts: { userId?: string; base?: SendDeps } = {}): SendDeps {
  const deps = opts.base ?? depsFromEnv();
  const original = deps.ledger[method].bind(deps.ledger) as (...args: unknown[]) => Promise<unknown>;
  // Everything else goes to the wrapped ledger through the prototype chain.
  const crashing = Object.create(deps.ledger) as SendLedger;
  let crashed = false;
  (crashing as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    const userId = method === 'claim' ? (args[0] as { userId: string }).userId : (args[0] as string);
    if (crashed || (opts.userId !== undefined && userId !== opts.userId)) return original(...args);
    crashed = true;
    if (when === 'after') await original(...args);
    throw new Error(`crash ${when} ${method}`);
  };
  return { ...deps, ledger: crashing };
}
