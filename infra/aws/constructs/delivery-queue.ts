import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { ENV } from '../../../shared/env';
import { ConfigError } from '../../../shared/errors';
import type { AlarmTopic } from './alarm-topic';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

/** AWS: "set the source queue's visibility timeout to at least six times the function timeout". */
export const VISIBILITY_TIMEOUT_MULTIPLE = 6;

export interface DeliveryQueueProps {
  /** The validated configuration; `queue.*` shapes the queue, the whole goes to the sender. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Dead-letter alarms are sent here. */
  readonly alarms: AlarmTopic;
  /**
   * Id of an existing Pinpoint project (literal or a CfnParameter's token). The sender may call
   * SendMessages on this one project and nothing else.
   */
  readonly pinpointApplicationId: string;
  /**
   * The sender's timeout. `queue.visibilityTimeoutSeconds` must be at least six times this.
   * @default Duration.seconds(20)
   */
  readonly senderTimeout?: Duration;
  /** @default 512 */
  readonly senderMemorySize?: number;
  /**
   * How long Lambda may wait to fill a batch. Small: candidates are enqueued in a burst by the scan,
   * so batches fill fast, and a long wait only delays the first message.
   * @default Duration.seconds(2)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Upper bound on concurrent sender invocations, to stay under the channel's send quota.
   * @default - no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
}

/**
 * Candidates queue → sender λ → Pinpoint SendMessages. The queue is encrypted, TLS-only and backed
 * by a dead-letter queue that alarms on its first message; the sender reports per-message failures,
 * so one bad candidate in a batch is retried alone.
 */
export class DeliveryQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly sender: RewakeFunction;

  constructor(scope: Construct, id: string, props: DeliveryQueueProps) {
    super(scope, id);
    const { config, tables } = props;
    // The sender can route to SES, End User Messaging SMS and a webhook (functions/send/handler.ts),
    // but this stack does not yet grant those calls or provision their secrets: refuse at synth
    // rather than deploy a sender whose every batch would fail into the DLQ.
    for (const channel of ['ses', 'sms', 'webhook'] as const) {
      if (config.channels[channel]) {
        throw new ConfigError(`channels.${channel}: not deployable yet — the stack grants and provisions only Pinpoint. Use it locally, or remove it from the deploy config.`);
      }
    }
    const senderTimeout = props.senderTimeout ?? Duration.seconds(20);
    assertVisibilityCoversSender(config.queue.visibilityTimeoutSeconds, senderTimeout);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to notice the alarm, fix the cause and redrive.
      retentionPeriod: Duration.days(14),
    });

    this.queue = new Queue(this, 'CandidatesQueue', {
      // SSE-SQS: encrypted at rest with no key for the scan, sender or redrive to be granted.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(config.queue.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.queue.maxReceiveCount },
    });

    props.alarms.alarmOnDeadLetters(
      'CandidatesDeadLetterAlarm',
      this.deadLetterQueue,
      'rewake: candidates the sender failed on repeatedly are in the dead-letter queue. ' +
        'Check the sender logs, fix the cause, then redrive (aws sqs start-message-move-task --source-arn <DLQ ARN>).',
    );

    this.sender = new RewakeFunction(this, 'Sender', {
      stage: 'send',
      config,
      description: 'rewake sender: candidates → Pinpoint SendMessages, recorded in the sends ledger',
      timeout: senderTimeout,
      memorySize: props.senderMemorySize ?? 512,
      environment: {
        ...tables.environmentFor('Profiles', 'Sends'),
        [ENV.candidatesQueueUrl]: this.queue.queueUrl,
        [ENV.pinpointApplicationId]: props.pinpointApplicationId,
      },
    });

    // The user's ledger (Query), then conditional transitions: record/claim (PutItem), settle and
    // release (UpdateItem). Nothing is deleted here; erasure is the ingest API's.
    tables.sends.grant(this.sender.function, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // Consent, channels and addresses, read consistently (ProfileStore.get).
    tables.profiles.grant(this.sender.function, 'dynamodb:GetItem');
    // A candidate deferred by quiet hours goes back on the queue with a delay (CandidateQueue.defer).
    this.queue.grant(this.sender.function, 'sqs:SendMessage');
    this.sender.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SendThroughOnePinpointProject',
        actions: ['mobiletargeting:SendMessages'],
        resources: [pinpointMessagesArn(this, props.pinpointApplicationId)],
      }),
    );

    this.sender.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: config.queue.senderBatchSize,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(2),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}

/** arn:<partition>:mobiletargeting:<region>:<account>:apps/<id>/messages — SendMessages' resource. */
export function pinpointMessagesArn(scope: Construct, applicationId: string): string {
  return Stack.of(scope).formatArn({
    service: 'mobiletargeting',
    resource: 'apps',
    resourceName: `${applicationId}/messages`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * Fails synth when a message could become visible again while the sender still works on it (a
 * duplicate send attempt) or before Lambda had room to retry a throttled batch.
 */
export function assertVisibilityCoversSender(visibilityTimeoutSeconds: number, senderTimeout: Duration): void {
  const timeoutSeconds = senderTimeout.toSeconds();
  const minimum = VISIBILITY_TIMEOUT_MULTIPLE * timeoutSeconds;
  if (visibilityTimeoutSeconds < minimum) {
    throw new ConfigError(
      `Invalid configuration:\n  queue.visibilityTimeoutSeconds: ${visibilityTimeoutSeconds} is below ` +
        `${VISIBILITY_TIMEOUT_MULTIPLE} × the sender's timeout (${timeoutSeconds} s); AWS recommends at least ` +
        `six times the timeout of a function an SQS queue triggers. Set it to ${minimum} or more.`,
    );
  }
}
