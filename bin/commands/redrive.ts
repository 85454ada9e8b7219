/**
 * `rewake redrive`: move dead-lettered candidates (or profile refreshes) back to their queue once
 * the cause is fixed. Works against AWS (default credentials and region) or any SQS endpoint
 * (AWS_ENDPOINT_URL_SQS). Messages are re-sent before they are deleted from the DLQ, so none is
 * lost; the sender's ledger keeps a message that was somehow moved twice from being sent twice.
 *
 *   redrive --dlq-url URL --queue-url URL
 */
import { parseArgs } from 'node:util';
import { sqsClient } from '../../shared/queue/sqs';
import { redrive } from '../../infra/local/queue-runner';

export async function runRedrive(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'dlq-url': { type: 'string' }, 'queue-url': { type: 'string' } }, strict: true });
  const dlqUrl = values['dlq-url'];
  const queueUrl = values['queue-url'];
  if (!dlqUrl || !queueUrl) {
    process.stderr.write('usage: rewake redrive --dlq-url URL --queue-url URL   (aws sqs get-queue-url --queue-name NAME gives a URL)\n');
    return 2;
  }
  const moved = await redrive({ client: sqsClient(), dlqUrl, queueUrl });
  process.stdout.write(`moved ${moved} message(s) from the dead-letter queue back to ${queueUrl}\n`);
  return 0;
}
