/**
 * Profile refresh requests: ingest names the users whose facts changed, the profiles Lambda folds
 * them off the request path. One message carries many users, so a request costs one SQS call.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { sendAll } from './sqs';

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

  async request(userIds: string[]): Promise<void> {
    const bodies: string[] = [];
    for (let i = 0; i < userIds.length; i += USERS_PER_MESSAGE) bodies.push(JSON.stringify({ userIds: userIds.slice(i, i + USERS_PER_MESSAGE) } satisfies RefreshRequest));
    await sendAll(this.sqs, this.queueUrl, bodies);
  }
}

export function parseRefreshRequest(body: string): RefreshRequest {
  const parsed = JSON.parse(body) as Partial<RefreshRequest>;
  if (!Array.isArray(parsed.userIds) || !parsed.userIds.every((u) => typeof u === 'string')) {
    throw new Error('Malformed profile refresh request: needs userIds, an array of strings');
  }
  return { userIds: parsed.userIds };
}
