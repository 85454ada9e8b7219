import { Annotations, Duration, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import {
  DefinitionBody,
  Errors,
  type IChainable,
  JitterType,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { ENV } from '../../../shared/env';
import type { AlarmTopic } from './alarm-topic';
import { RewakeFunction } from './rewake-function';
import { schedulerRole } from './scheduler-role';
import type { Tables } from './tables';

/** What the schedules hand the scan state machine and the fit λ: a scheduled run, not a manual one. */
export const SCHEDULE_INPUT = { source: 'schedule' } as const;

/**
 * The scan's phases, in order (functions/scan/handler.ts ScanRequest); `sketch` and `enqueue` run once
 * per parallel-scan segment.
 */
export const SCAN_PHASES = ['plan', 'sketch', 'cuts', 'enqueue', 'summarize'] as const;

/**
 * Errors of the Lambda service itself (not of our code) that Step Functions should retry: AWS's
 * recommended set plus throttling, which a burst of parallel segments can hit.
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/**
 * Step Functions passes at most 256 KB between states, and the state carries every segment's sketch
 * (a histogram of up to ~3,000 buckets). Above this many segments, warn at synth.
 */
export const SEGMENTS_WARNING_THRESHOLD = 8;

export interface ScheduledScanProps {
  /**
   * The validated configuration; `schedule.scanCron` and `schedule.timezone` set the schedule,
   * `schedule.scanSegments` the fan-out.
   */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Where the scan enqueues candidates. */
  readonly candidatesQueue: IQueue;
  /** Failed-run alarms are sent here. */
  readonly alarms: AlarmTopic;
  /**
   * Lambda's maximum, per phase invocation: a sketch or enqueue invocation streams one parallel-scan
   * segment of the profiles table and must not be cut short.
   * @default Duration.minutes(15)
   */
  readonly scanTimeout?: Duration;
  /** @default 1024 */
  readonly scanMemorySize?: number;
  /**
   * Segments sketched or enqueued at once (the Map states' MaxConcurrency): bounds the concurrent
   * scan invocations, and so the read burst on the profiles table and the enqueue burst on SQS.
   * @default 10
   */
  readonly maxConcurrency?: number;
  /**
   * How long a run may take before Step Functions stops it (and the failed-run alarm fires). Keeps a
   * stuck run from drifting into the next day's.
   * @default Duration.hours(6)
   */
  readonly runTimeout?: Duration;
  /**
   * X-Ray tracing of the state machine. Off by default, like the functions': execution history and
   * logs cover a run of five steps, and X-Ray's write actions cannot be scoped to a resource.
   * @default false
   */
  readonly tracing?: boolean;
  /** Retention of the state machine's execution log. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Whether the schedule fires. Off for a stack that should only be run by hand.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * The daily dormancy scan: an EventBridge Scheduler schedule in the configured time zone (EventBridge
 * rules only know UTC, and "02:00 Asia/Shanghai" should stay 02:00 local) starting a Step Functions
 * state machine that calls the scan λ once per phase and per parallel-scan segment:
 *
 *   Plan ─▶ Sketch (Map over segments) ─▶ Cuts ─▶ Enqueue (Map over segments) ─▶ Summarize
 *
 * No invocation reads the whole table, so the scan grows with the table by adding segments
 * (`schedule.scanSegments`), not by outgrowing Lambda's 15 minutes. The state carries `plan`,
 * `sketches`, `cuts` and `summaries`; the execution's output is the scan summary.
 * (infra/local/scan-orchestrator.ts is the local equivalent.)
 *
 * A run can fail in two places, and neither is silent: Scheduler could not start the execution
 * (after its retries; the input lands in the encrypted failed-runs queue, which alarms), or the
 * execution failed or timed out (after per-step retries; an alarm on the state machine's metrics).
 * Every phase is safe to repeat (the ledger lets each campaign step through once), so a failed run
 * can be redriven from where it stopped.
 */
export class ScheduledScan extends Construct {
  public readonly scan: RewakeFunction;
  public readonly stateMachine: StateMachine;
  /** The state machine's execution log (every state's input and output: aggregates, no personal data). */
  public readonly executionLogs: LogGroup;
  public readonly schedule: Schedule;
  /**
   * Scheduled runs that never started (scan executions, fit invocations) or fits that failed; each
   * message is one lost run. Shared with ScheduledFit.
   */
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
      'rewake: a scheduled dormancy scan or model fit did not start, or a model fit failed. Check the message ' +
        '(its target), then the fit logs; start the scan again (aws stepfunctions start-execution) or invoke the fit.',
    );

    this.scan = new RewakeFunction(this, 'Scan', {
      stage: 'scan',
      config,
      description: 'rewake scan, one phase per call (plan, sketch, cuts, enqueue, summarize), run by a state machine',
      timeout: props.scanTimeout ?? Duration.minutes(15),
      memorySize: props.scanMemorySize ?? 1024,
      environment: {
        ...tables.environmentFor('Profiles', 'Sends', 'Models'),
        [ENV.candidatesQueueUrl]: props.candidatesQueue.queueUrl,
      },
    });
    // plan: the latest model (ModelStore.latest, a Query). sketch/enqueue: one parallel-scan segment.
    tables.models.grant(this.scan.function, 'dynamodb:Query');
    tables.profiles.grant(this.scan.function, 'dynamodb:Scan');
    // enqueue: the user's ledger (Query), then claim each (user, campaign, step) before enqueueing it
    // and note the enqueue afterwards (SendLedger.markQueued / markEnqueued): conditional put and update.
    tables.sends.grant(this.scan.function, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // SendMessageBatch is authorized as sqs:SendMessage.
    props.candidatesQueue.grant(this.scan.function, 'sqs:SendMessage');

    if (config.schedule.scanSegments > SEGMENTS_WARNING_THRESHOLD) {
      Annotations.of(this).addWarningV2(
        'rewake:schedule-scanSegments',
        `schedule.scanSegments is ${config.schedule.scanSegments}: the scan state machine carries one value histogram ` +
          'per segment between states, and Step Functions allows 256 KB of state. A run may fail with ' +
          'States.DataLimitExceeded; prefer fewer segments with longer invocations.',
      );
    }

    this.executionLogs = new LogGroup(this, 'ExecutionLogs', {
      // Under /aws/vendedlogs/ CloudWatch Logs' account resource policy covers the group with a
      // wildcard, instead of growing by one entry per log group (it is limited to 5,120 characters).
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-scan`,
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // A fixed name: a retained group would make the next deployment of a destroyed stack fail.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const tracing = props.tracing ?? false;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'rewake dormancy scan: plan, sketch each segment, cut tiers, enqueue each segment, summarize',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(this.definition(props.maxConcurrency ?? 10)),
      timeout: props.runTimeout ?? Duration.hours(6),
      tracingEnabled: tracing,
      logs: {
        destination: this.executionLogs,
        level: LogLevel.ALL,
        // States pass plans, histograms, cut points and counts, never profiles or user ids: worth
        // keeping for the operator who asks why a run cut its tiers where it did.
        includeExecutionData: true,
      },
    });

    props.alarms.alarmOnAny(
      'ScanRunFailedAlarm',
      new MathExpression({
        label: 'Failed or timed-out scan runs',
        expression: 'FILL(failed, 0) + FILL(timedOut, 0)',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ statistic: 'Sum' }),
          timedOut: this.stateMachine.metricTimedOut({ statistic: 'Sum' }),
        },
        period: Duration.minutes(5),
      }),
      'rewake: a dormancy scan run failed or timed out. Find the execution in the Step Functions console, fix ' +
        'the cause, then redrive it (aws stepfunctions redrive-execution --execution-arn <arn>): every phase is ' +
        'safe to repeat.',
    );

    const scheduleRole = schedulerRole(this, 'ScheduleRole', 'rewake: EventBridge Scheduler starts the scan');
    this.schedule = new Schedule(this, 'Schedule', {
      description: `rewake dormancy scan, ${config.schedule.scanCron} in ${config.schedule.timezone}`,
      schedule: ScheduleExpression.expression(
        `cron(${config.schedule.scanCron})`,
        TimeZone.of(config.schedule.timezone),
      ),
      enabled: props.enabled ?? true,
      target: new StepFunctionsStartExecution(this.stateMachine, {
        role: scheduleRole,
        input: ScheduleTargetInput.fromObject(SCHEDULE_INPUT),
        deadLetterQueue: this.failedRunsQueue,
        // These retries cover StartExecution itself (throttling, a transient service error); an hour
        // is ample and keeps the run on its day.
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });

    this.acknowledgeNagFindings(tracing);
  }

  /**
   * The state, as it grows: {plan} → +sketches → +cuts → +summaries; the run's output is the summary.
   * Each call of the scan λ gets exactly the ScanRequest of its phase.
   */
  private definition(maxConcurrency: number): IChainable {
    // The execution's input ({"source":"schedule"} from the schedule, anything when started by hand)
    // stays in the execution history; JSONPath has no default for a missing field, so the plan call
    // does not read it and a start with no input works too.
    const plan = this.invoke(
      'Plan',
      {
        phase: 'plan',
        source: SCHEDULE_INPUT.source,
        // One instant for the whole run, however late a retried Plan call lands.
        now: JsonPath.stringAt('$$.Execution.StartTime'),
      },
      '$.plan',
    );

    const sketch = new MapState(this, 'Sketch', {
      comment: 'The value histogram of each segment\'s candidates',
      itemsPath: '$.plan.segments',
      itemSelector: { phase: 'sketch', plan: JsonPath.objectAt('$.plan'), segment: JsonPath.numberAt('$$.Map.Item.Value') },
      maxConcurrency,
      resultPath: '$.sketches',
    }).itemProcessor(this.invoke('SketchSegment'));

    const cuts = this.invoke(
      'Cuts',
      { phase: 'cuts', plan: JsonPath.objectAt('$.plan'), sketches: JsonPath.listAt('$.sketches') },
      '$.cuts',
    );

    const enqueue = new MapState(this, 'Enqueue', {
      comment: 'Score, tier and enqueue the due candidates of each segment',
      itemsPath: '$.plan.segments',
      itemSelector: {
        phase: 'enqueue',
        plan: JsonPath.objectAt('$.plan'),
        cuts: JsonPath.objectAt('$.cuts'),
        segment: JsonPath.numberAt('$$.Map.Item.Value'),
      },
      maxConcurrency,
      resultPath: '$.summaries',
    }).itemProcessor(this.invoke('EnqueueSegment'));

    // No result path: the summary replaces the state and is the execution's output.
    const summarize = this.invoke('Summarize', {
      phase: 'summarize',
      plan: JsonPath.objectAt('$.plan'),
      cuts: JsonPath.objectAt('$.cuts'),
      summaries: JsonPath.listAt('$.summaries'),
    });

    return plan.next(sketch).next(cuts).next(enqueue).next(summarize);
  }

  /**
   * One synchronous call of the scan λ that returns just its payload. Without `payload`, the state's
   * input is the request (inside a Map: the item its ItemSelector built). Without `resultPath`, the
   * result replaces the state.
   */
  private invoke(id: string, payload?: Record<string, unknown>, resultPath?: string): LambdaInvoke {
    const task = new LambdaInvoke(this, id, {
      lambdaFunction: this.scan.function,
      payloadResponseOnly: true,
      payload: payload && TaskInput.fromObject(payload),
      resultPath,
      // Replaced by the first retrier below, which also covers throttling.
      retryOnServiceExceptions: false,
    });
    task.addRetry({
      errors: [...LAMBDA_TRANSIENT_ERRORS],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(1),
      jitterStrategy: JitterType.FULL,
    });
    // Our own errors (a DynamoDB or SQS call that still failed after the SDK's retries, a timeout):
    // once more, a minute later. Every phase is safe to repeat.
    task.addRetry({ errors: [Errors.TASKS_FAILED], interval: Duration.minutes(1), maxAttempts: 1 });
    return task;
  }

  private acknowledgeNagFindings(tracing: boolean): void {
    const scanArn = `<${Stack.of(this).getLogicalId(this.scan.function.node.defaultChild as CfnFunction)}.Arn>`;
    Validations.of(this.stateMachine.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${scanArn}:*]`,
        reason:
          'lambda:InvokeFunction on the scan function and its versions/aliases (ARN:*), as CDK\'s LambdaInvoke ' +
          'task writes it: one function, no other resource.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions logging to CloudWatch Logs needs logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, ' +
          'DeleteLogDelivery, ListLogDeliveries, PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups, ' +
          'which support no resource-level permissions' +
          (tracing ? '; so do xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets.' : '.'),
      },
    );
    if (!tracing) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF2',
        reason:
          'X-Ray is off by default (ScheduledScanProps.tracing), as for the functions: a run is five steps whose ' +
          'inputs, outputs, timings and errors are in the execution history and the ALL-level execution log.',
      });
    }
  }
}
