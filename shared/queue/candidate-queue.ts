/** The candidates queue (SQS): the scan enqueues, the sender consumes and defers. */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Candidate } from '../dormancy/candidate';
import { sendAll } from './sqs';

/** SQS caps a message delay at 15 minutes; longer deferrals hop through the queue. */
export const MAX_DELAY_SECONDS = 900;

export class CandidateQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(candidates: Candidate[]): Promise<number> {
    await sendAll(this.sqs, this.queueUrl, candidates.map((c) => JSON.stringify(c)));
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
