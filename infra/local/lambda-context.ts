/**
 * A Lambda Context for handlers invoked locally. Powertools reads it (logger keys, idempotency's
 * in-progress expiry from getRemainingTimeInMillis), so it must look and count down like the real one.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, localRegion } from './aws-config';

export interface FakeContextOptions {
  functionName: string;
  /** The function timeout the deadline counts down from. */
  timeoutMs: number;
  /** @default 1024 */
  memoryLimitInMB?: number;
}

export function fakeLambdaContext(opts: FakeContextOptions): Context {
  const deadline = Date.now() + opts.timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = () => {
    throw new Error('done/fail/succeed are not supported by the local runtime: return or throw instead');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: opts.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${localRegion()}:${LOCAL_ACCOUNT_ID}:function:${opts.functionName}`,
    memoryLimitInMB: String(opts.memoryLimitInMB ?? 1024),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${opts.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomUUID().replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
