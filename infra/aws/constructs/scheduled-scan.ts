import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { ENV } from '../../../shared/env';
import type { AlarmTopic } from './alarm-topic';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

/** What the schedule hands the scan λ, so it can tell a scheduled run from a manual one. */
export const SCHEDULE_INPUT = { source: 'schedule' } as const;

export interface ScheduledScanProps {
  /** The validated configuration; `schedule.scanCron` and `schedule.timezone` set the schedule. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Where the scan enqueues candidates. */
  readonly candidatesQueue: IQueue;
  /** Failed-run alarms are sent here. */
  readonly alarms: AlarmTopic;
  /**
   * Lambda's maximum: the scan streams the profiles table and fans out over parallel-scan segments,
   * and a day's run must not be cut short.
   * @default Duration.minutes(15)
   */
  readonly scanTimeout?: Duration;
  /** @default 1024 */
  readonly scanMemorySize?: number;
  /**
   * Whether the schedule fires. Off for a stack that should only be run by hand.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * The daily dormancy scan: an EventBridge Scheduler schedule in the configured time zone (EventBridge
 * rules only know UTC, and "02:00 Asia/Shanghai" should stay 02:00 local) invoking the scan λ.
 *
 * A run can fail in two places, and both land in one encrypted failed-runs queue that alarms:
 * Scheduler could not invoke the function (after its retries), or the function ran and failed
 * (after Lambda's asynchronous retries). Without that, a broken scan is silent: nobody is messaged.
 */
export class ScheduledScan extends Construct {
  public readonly scan: RewakeFunction;
  public readonly schedule: Schedule;
  /** Scheduled runs that never happened or failed; each message is one lost run. */
  public readonly failedRunsQueue: Queue;

  constructor(scope: Construct, id: string, props: ScheduledScanProps) {
    super(scope, id);
    const { config, tables } = props;

    this.failedRunsQueue = new Queue(this, 'FailedRunsQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failedRunsQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue, for EventBridge Scheduler and for Lambda asynchronous ' +
        'invocation failures; cdk-nag only recognises dead-letter queues named in another queue\'s redrive policy.',
    });
    props.alarms.alarmOnDeadLetters(
      'FailedRunsAlarm',
      this.failedRunsQueue,
      'rewake: a scheduled dormancy scan did not run or failed. Check the scan logs; the scan is safe to ' +
        'run again by invoking it with {"source":"schedule"}.',
    );

    this.scan = new RewakeFunction(this, 'Scan', {
      stage: 'scan',
      config,
      description: 'rewake scan: score profiles, tier the dormant, enqueue candidates',
      timeout: props.scanTimeout ?? Duration.minutes(15),
      memorySize: props.scanMemorySize ?? 1024,
      environment: {
        ...tables.environment,
        [ENV.candidatesQueueUrl]: props.candidatesQueue.queueUrl,
      },
    });
    tables.profiles.grantReadData(this.scan.function);
    tables.sends.grantReadData(this.scan.function);
    // The scan claims each (user, campaign, step) in the ledger before enqueueing it and notes the
    // enqueue afterwards (SendLedger.markQueued / markEnqueued): conditional put and update only.
    tables.sends.grant(this.scan.function, 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    props.candidatesQueue.grantSendMessages(this.scan.function);

    // A run is safe to repeat (one enqueue per user and campaign step), so Lambda may retry it; the
    // age limit keeps a retry from drifting into the next day's run.
    this.scan.function.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.failedRunsQueue),
    });

    // Our own role rather than the one LambdaInvoke would add at stack level, so it lives (and is
    // acknowledged below) inside this construct.
    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        // Only schedules of this account's default group may use the role (confused-deputy guard).
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Stack.of(this).account,
            'aws:SourceArn': Stack.of(this).formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
      description: 'rewake: EventBridge Scheduler invokes the scan',
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: `rewake dormancy scan, ${config.schedule.scanCron} in ${config.schedule.timezone}`,
      schedule: ScheduleExpression.expression(
        `cron(${config.schedule.scanCron})`,
        TimeZone.of(config.schedule.timezone),
      ),
      enabled: props.enabled ?? true,
      target: new LambdaInvoke(this.scan.function, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject(SCHEDULE_INPUT),
        deadLetterQueue: this.failedRunsQueue,
        // Scheduler invokes asynchronously, so these retries only cover the Invoke call itself
        // (throttling, a transient service error); an hour is ample and keeps the run on its day.
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });
    Validations.of(scheduleRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.scan.function.node.defaultChild as CfnFunction)}.Arn>:*]`,
      reason:
        'lambda:InvokeFunction on the scan function and its versions/aliases (ARN:*), as CDK\'s grantInvoke ' +
        'writes it: one function, no other resource.',
    });
  }
}
