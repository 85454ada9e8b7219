/**
 * One DynamoDB document client per process, built on first use so a local run or a test can set
 * AWS_ENDPOINT_URL_DYNAMODB before it. The SDK reads that variable itself, which is how the
 * embedded emulator and AWS share this code path.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, type BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';

let shared: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  shared ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5 }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
  });
  return shared;
}

/** For tests and the local runtime, which point the process at a new emulator. */
export function resetDocumentClient(): void {
  shared = undefined;
}

type WriteRequest = NonNullable<BatchWriteCommandInput['RequestItems']>[string][number];

/**
 * BatchWriteItem in chunks of 25, re-sending UnprocessedItems with exponential backoff (DynamoDB
 * returns them under throttling instead of failing the call). Gives up loudly, never silently.
 */
export async function batchWrite(
  client: DynamoDBDocumentClient,
  table: string,
  requests: WriteRequest[],
  { maxRetries = 8, baseDelayMs = 25 } = {},
): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    let pending: WriteRequest[] = requests.slice(i, i + 25);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > maxRetries) throw new Error(`BatchWriteItem on ${table}: ${pending.length} items still unprocessed after ${maxRetries} retries`);
      if (attempt > 0) await sleep(baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] as WriteRequest[] | undefined) ?? [];
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when the error is DynamoDB saying a condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}
