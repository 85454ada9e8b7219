/**
 * Profile refresh requests: ingest names the users whose facts changed, the profiles Lambda folds
 * them off the request path. One message carries many users, so a request costs one SQS call.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sleep } from '../store/dynamo';

export interface RefreshRequest {
  userIds: string[];
}

/** Users per message: 200 ids of ≤128 characters stay far below SQS's 256 KB. */
const USERS_PER_MESSAGE = 200;

export class ProfileRefreshQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async request(userIds: string[], { maxRetries = 5 } = {}): Promise<void> {
    const bodies: string[] = [];
    for (let i = 0; i < userIds.length; i += USERS_PER_MESSAGE) bodies.push(JSON.stringify({ userIds: userIds.slice(i, i + USERS_PER_MESSAGE) } satisfies RefreshRequest));
    for (let i = 0; i < bodies.length; i += 10) {
      let pending = bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > maxRetries) throw new Error(`SendMessageBatch: ${pending.length} refresh requests not accepted after ${maxRetries} retries`);
        if (attempt > 0) await sleep(50 * 2 ** attempt);
        const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        pending = pending.filter((e) => failed.has(e.Id));
      }
    }
  }
}

export function parseRefreshRequest(body: string): RefreshRequest {
  const parsed = JSON.parse(body) as Partial<RefreshRequest>;
  if (!Array.isArray(parsed.userIds) || !parsed.userIds.every((u) => typeof u === 'string')) {
    throw new Error('Malformed profile refresh request: needs userIds, an array of strings');
  }
  return { userIds: parsed.userIds };
}
