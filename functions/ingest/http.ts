/**
 * The HTTP edge of the ingest API: body limits, content type, JSON, and mapping errors to
 * status codes. Only here do errors become HTTP; a client never sees a stack trace.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { RequestError } from '../../shared/errors';
import { logger } from '../../shared/observability';

export const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify(body),
});

/** Parse a JSON body within limits, or throw the RequestError a client can act on. */
export function parseJsonBody(event: APIGatewayProxyEvent, maxBodyBytes: number): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBodyBytes) {
    throw new RequestError(413, `Request body is ${bytes} bytes; the limit is ${maxBodyBytes}`, [
      { index: null, field: '(body)', reason: `must be at most ${maxBodyBytes} bytes` },
    ]);
  }
  const contentType = headerOf(event, 'content-type');
  if (!contentType || !/^application\/([\w.+-]*\+)?json\b/i.test(contentType)) {
    throw new RequestError(415, 'Content-Type must be application/json', [
      { index: null, field: 'content-type', reason: 'must be application/json' },
    ]);
  }
  if (text.trim() === '') throw new RequestError(400, 'Request body is empty', [{ index: null, field: '(body)', reason: 'must not be empty' }]);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestError(400, 'Request body is not valid JSON', [
      { index: null, field: '(body)', reason: `is not valid JSON: ${(error as Error).message}` },
    ]);
  }
}

function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === name) return value ?? undefined;
  return undefined;
}

/** middy middleware: RequestError → its status with the problem list; anything else → 500, logged. */
export const httpErrors = (): middy.MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> => ({
  onError: async (request) => {
    const error = request.error;
    if (error instanceof RequestError) {
      request.response = json(error.statusCode, { message: error.message, problems: error.problems });
      return;
    }
    logger.error('ingest failed', { error: error as Error });
    request.response = json(500, { message: 'Internal error; retry the request (retries never double-count an event)' });
  },
});
