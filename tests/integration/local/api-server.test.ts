import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_ENV, startLocalApi, type LocalApi } from '../../../infra/local/api-server';

const KEY = 'test-key-0123456789abcdefghij';

describe('local API server', () => {
  let api: LocalApi;
  const calls: { event: APIGatewayProxyEvent; context: Context }[] = [];
  let respond: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> = async () => ({
    statusCode: 200,
    body: '{"ok":true}',
  });

  beforeAll(async () => {
    api = await startLocalApi({
      apiKey: KEY,
      handler: async (event, context) => {
        calls.push({ event, context });
        return respond(event);
      },
    });
  });
  afterAll(async () => {
    await api?.stop();
  });
  afterEach(() => {
    calls.length = 0;
    respond = async () => ({ statusCode: 200, body: '{"ok":true}' });
  });

  it('answers GET / with 200 and no key, as a health check', async () => {
    const res = await fetch(`${api.url}/`);

    expect(res.status).toBe(200);
    expect(calls).toHaveLength(0);
  });

  it('rejects a wrong API key with 403 Forbidden, like API Gateway, without calling the handler', async () => {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'x-api-key': 'wrong-key-0123456789abcdefghij', 'content-type': 'application/json' },
      body: '{"events":[]}',
    });

    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Forbidden' });
    expect(res.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    expect(calls).toHaveLength(0);
  });

  it('rejects a request with no API key with 403 Forbidden', async () => {
    const res = await fetch(`${api.url}/v1/users/u-1`);

    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Forbidden' });
    expect(calls).toHaveLength(0);
  });

  it('answers an unknown path or method with 403 Missing Authentication Token, key or not', async () => {
    const unknownPath = await fetch(`${api.url}/v1/nothing-here`, { headers: { 'x-api-key': KEY } });
    const unknownMethod = await fetch(`${api.url}/v1/events`, { method: 'PUT', headers: { 'x-api-key': KEY } });

    expect(unknownPath.status).toBe(403);
    expect(await unknownPath.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(unknownMethod.status).toBe(403);
    expect(await unknownMethod.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(calls).toHaveLength(0);
  });

  it('passes GET /v1/users/{userId} as a REST proxy event with resource and path parameters', async () => {
    const res = await fetch(`${api.url}/v1/users/u-42?fields=tier&fields=reason&lang=zh`, {
      headers: { 'x-api-key': KEY, 'X-Trace': 'abc' },
    });

    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { event, context } = calls[0]!;
    expect(event).toMatchObject({
      httpMethod: 'GET',
      path: '/v1/users/u-42',
      resource: '/v1/users/{userId}',
      pathParameters: { userId: 'u-42' },
      queryStringParameters: { fields: 'reason', lang: 'zh' },
      multiValueQueryStringParameters: { fields: ['tier', 'reason'], lang: ['zh'] },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        httpMethod: 'GET',
        resourcePath: '/v1/users/{userId}',
        path: '/local/v1/users/u-42',
        stage: 'local',
        identity: { sourceIp: '127.0.0.1', apiKey: KEY, apiKeyId: expect.any(String) },
      },
    });
    expect(event.headers['X-Trace']).toBe('abc');
    expect(event.multiValueHeaders['X-Trace']).toEqual(['abc']);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.requestContext.identity.apiKeyId).not.toBe(KEY);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    expect(context.functionName).toEqual(expect.any(String));
  });

  it('routes DELETE /v1/users/{userId} and decodes the path parameter', async () => {
    await fetch(`${api.url}/v1/users/user%40example`, { method: 'DELETE', headers: { 'x-api-key': KEY } });

    expect(calls[0]?.event.resource).toBe('/v1/users/{userId}');
    expect(calls[0]?.event.httpMethod).toBe('DELETE');
    expect(calls[0]?.event.pathParameters).toEqual({ userId: 'user@example' });
  });

  it('passes a POST body as a string and returns the handler\'s status, headers and body', async () => {
    respond = async (event) => ({
      statusCode: 202,
      headers: { 'X-Accepted': 2 },
      body: JSON.stringify({ echoed: JSON.parse(event.body!) }),
    });
    const body = JSON.stringify({ events: [{ eventId: 'e1' }, { eventId: 'e2' }] });

    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body,
    });

    expect(calls[0]?.event.body).toBe(body);
    expect(calls[0]?.event.resource).toBe('/v1/events');
    expect(calls[0]?.event.pathParameters).toBeNull();
    expect(calls[0]?.event.queryStringParameters).toBeNull();
    expect(res.status).toBe(202);
    expect(res.headers.get('x-accepted')).toBe('2');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ echoed: { events: [{ eventId: 'e1' }, { eventId: 'e2' }] } });
  });

  it('refuses a body over 10 MiB with 413 without calling the handler', async () => {
    const res = await fetch(`${api.url}/v1/events`, {
      method: 'POST',
      headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });

    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Too Long' });
    expect(calls).toHaveLength(0);
  });

  it('answers 502 Internal server error when the handler throws, hiding the error', async () => {
    respond = async () => {
      throw new Error('secret stack detail');
    };

    const res = await fetch(`${api.url}/v1/users/u-1`, { headers: { 'x-api-key': KEY } });

    expect(res.status).toBe(502);
    expect(await res.text()).toBe('{"message":"Internal server error"}');
  });
});

describe('local API server key and routes', () => {
  it('generates a 40-character key when none is given or set in the environment', async () => {
    const saved = process.env[API_KEY_ENV];
    delete process.env[API_KEY_ENV];
    const api = await startLocalApi({ handler: async () => ({ statusCode: 204, body: '' }) });
    try {
      expect(api.apiKeyGenerated).toBe(true);
      expect(api.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
      const res = await fetch(`${api.url}/v1/users/u-1`, { headers: { 'x-api-key': api.apiKey } });
      expect(res.status).toBe(204);
    } finally {
      await api.stop();
      if (saved !== undefined) process.env[API_KEY_ENV] = saved;
    }
  });

  it('takes the key from REWAKE_API_KEY when no key is passed', async () => {
    const saved = process.env[API_KEY_ENV];
    process.env[API_KEY_ENV] = 'env-key-0123456789abcdefghij';
    const api = await startLocalApi({ handler: async () => ({ statusCode: 204, body: '' }) });
    try {
      expect(api.apiKey).toBe('env-key-0123456789abcdefghij');
      expect(api.apiKeyGenerated).toBe(false);
    } finally {
      await api.stop();
      if (saved === undefined) delete process.env[API_KEY_ENV];
      else process.env[API_KEY_ENV] = saved;
    }
  });

  it('treats a route with no handler in a per-route map as not deployed', async () => {
    const api = await startLocalApi({
      apiKey: KEY,
      handler: { 'POST /v1/events': async () => ({ statusCode: 200, body: '{}' }) },
    });
    try {
      const deployed = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: { 'x-api-key': KEY }, body: '{}' });
      const missing = await fetch(`${api.url}/v1/users/u-1`, { headers: { 'x-api-key': KEY } });
      expect(deployed.status).toBe(200);
      expect(missing.status).toBe(403);
      expect(await missing.json()).toEqual({ message: 'Missing Authentication Token' });
    } finally {
      await api.stop();
    }
  });

  it('refuses a key shorter than API Gateway allows', async () => {
    await expect(startLocalApi({ apiKey: 'short', handler: async () => ({ statusCode: 200, body: '' }) })).rejects.toThrow(
      /at least 20 characters/,
    );
  });
});
