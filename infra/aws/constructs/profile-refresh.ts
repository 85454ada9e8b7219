import { Duration } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import type { AlarmTopic } from './alarm-topic';
import { VISIBILITY_TIMEOUT_MULTIPLE } from './delivery-queue';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

export interface ProfileRefreshProps {
  /** The validated configuration; `queue.maxReceiveCount` sets the redrive, the whole goes to the λ. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Dead-letter alarms are sent here. */
  readonly alarms: AlarmTopic;
  /**
   * The profiles λ's timeout. The queue's visibility timeout is six times this, as AWS recommends
   * for a queue that triggers a function. A batch is up to 10 messages of up to 200 users each,
   * folded eight at a time: one Query and one PutItem per user.
   * @default Duration.seconds(60)
   */
  readonly refreshTimeout?: Duration;
  /** @default 512 */
  readonly refreshMemorySize?: number;
  /**
   * Messages per invocation. A user named in several messages of a batch is folded once.
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long Lambda may wait to fill a batch: short, since it is how long a profile can lag behind
   * its events (GET /v1/users/{userId}, and the next scan).
   * @default Duration.seconds(1)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Upper bound on concurrent invocations, to cap the write rate on the profiles table.
   * @default - no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
}

/**
 * Profile-refresh queue → profiles λ: folds the users ingest named into their profiles, off the
 * request path (docs/design.md, "Exactly-once ingest", step 4). The queue is encrypted, TLS-only and
 * backed by a dead-letter queue that alarms on its first message; the λ reports per-message
 * failures, and folding is idempotent, so redelivery and redrive are harmless.
 */
export class ProfileRefresh extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly refresher: RewakeFunction;

  constructor(scope: Construct, id: string, props: ProfileRefreshProps) {
    super(scope, id);
    const { config, tables } = props;
    const timeout = props.refreshTimeout ?? Duration.seconds(60);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to notice the alarm, fix the cause and redrive.
      retentionPeriod: Duration.days(14),
    });

    this.queue = new Queue(this, 'RefreshQueue', {
      // SSE-SQS: encrypted at rest with no key for ingest, the λ or a redrive to be granted.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_MULTIPLE * timeout.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.queue.maxReceiveCount },
    });

    props.alarms.alarmOnDeadLetters(
      'ProfileRefreshDeadLetterAlarm',
      this.deadLetterQueue,
      'rewake: profile refresh requests failed repeatedly and are in the dead-letter queue; those users\' profiles ' +
        'lag behind their events. Check the profiles function logs, fix the cause, then redrive ' +
        '(aws sqs start-message-move-task --source-arn <DLQ ARN>): folding again is harmless.',
    );

    this.refresher = new RewakeFunction(this, 'Profiles', {
      stage: 'profiles',
      config,
      description: 'rewake profiles: fold the facts of users named on the refresh queue into their profiles',
      timeout,
      memorySize: props.refreshMemorySize ?? 512,
      environment: tables.environmentFor('Events', 'Profiles'),
    });
    // EventStore.refreshProfile: the user's facts (Query), then a conditional put of the profile.
    tables.events.grant(this.refresher.function, 'dynamodb:Query');
    tables.profiles.grant(this.refresher.function, 'dynamodb:PutItem');

    this.refresher.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: props.batchSize ?? 10,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
