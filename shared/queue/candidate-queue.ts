/**
 * The candidates queue (SQS): the scan enqueues, the sender consumes. SendMessageBatch of 10 with
 * the failed entries retried, because SQS may accept part of a batch; whatever still fails is
 * thrown, so the caller (and its retry) knows — never dropped silently.
 */
import { SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Candidate } from '../dormancy/candidate';
import { sleep } from '../store/dynamo';

let shared: SQSClient | undefined;
/** One client per process, built on first use (AWS_ENDPOINT_URL_SQS points it at an emulator). */
export function sqsClient(): SQSClient {
  shared ??= new SQSClient({ maxAttempts: 5 });
  return shared;
}

export function resetSqsClient(): void {
  shared = undefined;
}

/** SQS caps a message delay at 15 minutes; longer deferrals hop through the queue. */
export const MAX_DELAY_SECONDS = 900;

export class CandidateQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(candidates: Candidate[], { maxRetries = 5 } = {}): Promise<number> {
    for (let i = 0; i < candidates.length; i += 10) {
      let pending = candidates.slice(i, i + 10).map((c, j) => ({ Id: String(j), MessageBody: JSON.stringify(c) }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > maxRetries) {
          throw new Error(`SendMessageBatch: ${pending.length} candidates not accepted after ${maxRetries} retries`);
        }
        if (attempt > 0) await sleep(50 * 2 ** attempt);
        const out = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }));
        const failed = new Set((out.Failed ?? []).map((f) => f.Id));
        pending = pending.filter((e) => failed.has(e.Id));
      }
    }
    return candidates.length;
  }

  /** Put a candidate back for later (quiet hours): delayed up to SQS's 15-minute maximum. */
  async defer(candidate: Candidate, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(candidate),
        DelaySeconds: Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds))),
      }),
    );
  }
}
