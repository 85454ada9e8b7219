/**
 * The local stand-in for the API Gateway REST API in front of the ingest Lambda: a node:http server
 * that does what API Gateway does before and after the Lambda proxy integration — route matching,
 * API key check, the 10 MB body limit, building the v1 proxy event, turning the result into HTTP —
 * so handlers run locally exactly as deployed.
 *
 * Gateway responses copy API Gateway's defaults (status, `{"message": ...}` body, x-amzn-ErrorType):
 * unknown path or method → 403 Missing Authentication Token; missing or wrong key → 403 Forbidden;
 * body over 10 MB → 413; handler throws or returns no statusCode → 502; too slow → 504.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './aws-config';
import { closeServer, listen, LOCAL_HOST, readBody } from './http';
import { fakeLambdaContext } from './lambda-context';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** The routes the stack deploys, as API Gateway resources, and whether each takes the API key. */
export const API_ROUTES = [
  { method: 'POST', resource: '/v1/events', apiKey: true },
  { method: 'GET', resource: '/v1/users/{userId}', apiKey: true },
  { method: 'DELETE', resource: '/v1/users/{userId}', apiKey: true },
  // The unsubscribe link (with channels.ses): mail clients and people call it, with no key; the
  // signed token in the URL authorizes it.
  { method: 'GET', resource: '/v1/unsubscribe', apiKey: false },
  { method: 'POST', resource: '/v1/unsubscribe', apiKey: false },
] as const;

export type RouteKey = `${(typeof API_ROUTES)[number]['method']} ${(typeof API_ROUTES)[number]['resource']}`;

export interface StartLocalApiOptions {
  /**
   * One handler for every route that takes the API key (the ingest function's), or one per route
   * (as separate Lambdas would be; `apiRoutes` builds that map). A route with no handler is not
   * deployed, so it answers like an unknown route.
   */
  handler: ApiHandler | Partial<Record<RouteKey, ApiHandler>>;
  /** @default 0 (ephemeral) */
  port?: number;
  /** The key clients must send in x-api-key. @default REWAKE_API_KEY, else a random one */
  apiKey?: string;
  /** API Gateway's hard payload limit. @default 10 MiB */
  maxBodyBytes?: number;
  /** API Gateway's integration timeout. @default 29 000 */
  integrationTimeoutMs?: number;
  /** @default 'rewake-ingest-local' */
  functionName?: string;
}

export interface LocalApi {
  /** http://127.0.0.1:<port> (no stage in the path). */
  url: string;
  port: number;
  apiKey: string;
  /** True when no key was given and none was in REWAKE_API_KEY: the CLI must print this one. */
  apiKeyGenerated: boolean;
  stop(): Promise<void>;
}

export const API_KEY_ENV = 'REWAKE_API_KEY';
const STAGE = 'local';
const API_ID = 'rewakelocal';
/** Stands in for the id of the API key resource; the key's value never goes in the event's apiKeyId. */
const API_KEY_ID = 'rewake-local-key';

export async function startLocalApi(opts: StartLocalApiOptions): Promise<LocalApi> {
  const envKey = process.env[API_KEY_ENV];
  const apiKey = opts.apiKey || envKey || generateApiKey();
  const apiKeyGenerated = !opts.apiKey && !envKey;
  if (apiKey.length < 20) {
    // API Gateway refuses keys shorter than 20 characters; a short local key would work here and
    // then fail on deploy.
    throw new Error(`The API key must be at least 20 characters, as API Gateway requires (got ${apiKey.length})`);
  }
  const maxBodyBytes = opts.maxBodyBytes ?? 10 * 1024 * 1024;
  const integrationTimeoutMs = opts.integrationTimeoutMs ?? 29_000;
  const functionName = opts.functionName ?? 'rewake-ingest-local';
  const handlerFor = (match: RouteMatch): ApiHandler | undefined =>
    typeof opts.handler === 'function' ? (match.apiKey ? opts.handler : undefined) : opts.handler[match.key];

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      // Only a bug in this file gets here; answer like API Gateway's own 500.
      console.error('local API server error', err);
      if (!res.headersSent) gatewayResponse(res, 500, 'InternalServerErrorException', 'Internal server error', randomUUID());
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://local');
    const method = (req.method ?? 'GET').toUpperCase();

    if (url.pathname === '/' && (method === 'GET' || method === 'HEAD')) {
      // Health check. On AWS the root resource would need its own (mock) method; no key needed.
      return send(res, 200, { 'content-type': 'application/json', 'x-amzn-RequestId': requestId }, '{"status":"ok"}');
    }

    const match = matchRoute(method, url.pathname);
    const handler = match && handlerFor(match);
    if (!match || !handler) {
      return gatewayResponse(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token', requestId);
    }
    if (match.apiKey && !keyMatches(headerValue(req, 'x-api-key'), apiKey)) {
      return gatewayResponse(res, 403, 'ForbiddenException', 'Forbidden', requestId);
    }
    const { body, tooLarge } = await readBody(req, maxBodyBytes);
    if (tooLarge) {
      return gatewayResponse(res, 413, 'RequestTooLargeException', 'Request Too Long', requestId);
    }

    const event = toProxyEvent(req, url, match, body, requestId, apiKey);
    const context = fakeLambdaContext({ functionName, timeoutMs: integrationTimeoutMs });
    const outcome = await withTimeout(handler(event, context), integrationTimeoutMs);
    if (outcome === 'timeout') {
      return gatewayResponse(res, 504, 'InternalServerErrorException', 'Endpoint request timed out', requestId);
    }
    if (!outcome.ok || !isProxyResult(outcome.value)) {
      // A throw or a malformed result: API Gateway answers 502 and the client sees no detail.
      return gatewayResponse(res, 502, 'InternalServerErrorException', 'Internal server error', requestId);
    }
    return sendResult(res, outcome.value, requestId);
  }

  const port = await listen(server, opts.port ?? 0);
  return {
    url: `http://${LOCAL_HOST}:${port}`,
    port,
    apiKey,
    apiKeyGenerated,
    stop: () => closeServer(server),
  };
}

/**
 * The handler map the stack's API deploys: `ingest` behind every keyed route and, when given (the
 * stack adds it with channels.ses), `unsubscribe` behind GET and POST /v1/unsubscribe.
 */
export function apiRoutes(ingest: ApiHandler, unsubscribe?: ApiHandler): Partial<Record<RouteKey, ApiHandler>> {
  const routes: Partial<Record<RouteKey, ApiHandler>> = {};
  for (const route of API_ROUTES) {
    const handler = route.apiKey ? ingest : unsubscribe;
    if (handler) routes[`${route.method} ${route.resource}` as RouteKey] = handler;
  }
  return routes;
}

/** 40 letters and digits, the shape of a generated API Gateway key. */
function generateApiKey(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(40)].map((b) => alphabet[b % alphabet.length]).join('');
}

function keyMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

interface RouteMatch {
  key: RouteKey;
  resource: string;
  pathParameters: Record<string, string> | null;
  apiKey: boolean;
}

/** API Gateway matches the path against resources; `{name}` takes one non-empty segment. */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  for (const route of API_ROUTES) {
    if (route.method !== method) continue;
    const want = route.resource.split('/');
    const got = path.split('/');
    if (want.length !== got.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i]!;
      const g = got[i]!;
      if (w.startsWith('{') && w.endsWith('}')) {
        if (g === '') ok = false;
        else params[w.slice(1, -1)] = safeDecode(g);
      } else if (w !== g) ok = false;
    }
    if (ok) {
      return {
        key: `${route.method} ${route.resource}` as RouteKey,
        resource: route.resource,
        pathParameters: Object.keys(params).length ? params : null,
        apiKey: route.apiKey,
      };
    }
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Header names keep the client's casing, as API Gateway passes them; the last value wins in `headers`. */
function collectHeaders(req: IncomingMessage): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function toProxyEvent(
  req: IncomingMessage,
  url: URL,
  match: RouteMatch,
  body: Buffer,
  requestId: string,
  apiKey: string,
): APIGatewayProxyEvent {
  const { headers, multiValueHeaders } = collectHeaders(req);
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of url.searchParams) {
    query[k] = v; // last value wins, as in API Gateway
    (multiQuery[k] ??= []).push(v);
  }
  const hasQuery = Object.keys(query).length > 0;
  const now = new Date();
  const method = req.method!.toUpperCase();
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

  return {
    resource: match.resource,
    path: url.pathname,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: match.pathParameters,
    stageVariables: null,
    // Text media types arrive as a string; an empty body arrives as null.
    body: body.length ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: API_ID,
      authorizer: undefined,
      domainName: headerValue(req, 'host') ?? LOCAL_HOST,
      domainPrefix: API_ID,
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        // API Gateway names the key only on methods that require one.
        apiKey: match.apiKey ? apiKey : null,
        apiKeyId: match.apiKey ? API_KEY_ID : null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp,
        user: null,
        userAgent: headerValue(req, 'user-agent') ?? null,
        userArn: null,
      },
      path: `/${STAGE}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: formatRequestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: match.resource,
      resourcePath: match.resource,
      stage: STAGE,
    },
  };
}

/** API Gateway's requestTime format: 09/Apr/2015:12:34:56 +0000 */
function formatRequestTime(d: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<Settled<T> | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const settled = promise.then(
    (value): Settled<T> => ({ ok: true, value }),
    (error: unknown): Settled<T> => ({ ok: false, error }),
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isProxyResult(v: unknown): v is APIGatewayProxyResult {
  if (!v || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return Number.isInteger(r.statusCode) && (r.body === undefined || typeof r.body === 'string');
}

function sendResult(res: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const headers: Record<string, string | string[]> = {};
  // API Gateway merges both maps; a name in both keeps the multi-value list.
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k] = v.map(String);
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/json'; // API Gateway's default for proxy responses
  }
  headers['x-amzn-RequestId'] = requestId;
  const body = result.body ?? '';
  send(res, result.statusCode, headers, result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function gatewayResponse(res: ServerResponse, status: number, errorType: string, message: string, requestId: string): void {
  send(
    res,
    status,
    { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType, 'x-amzn-RequestId': requestId },
    JSON.stringify({ message }),
  );
}

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
