import { Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SCHEDULE_INPUT } from './scheduled-scan';
import { schedulerRole } from './scheduler-role';

export interface ScheduleJobOptions {
  /** What the job does, for the schedule's and role's descriptions. */
  readonly what: string;
  /** EventBridge Scheduler cron (6 fields), in `timezone`. */
  readonly cron: string;
  readonly timezone: string;
  /** Where runs that never started or failed inside the function are parked; it alarms. */
  readonly failedRunsQueue: IQueue;
  /** @default true */
  readonly enabled?: boolean;
}

/**
 * A batch job on a schedule, the way every scheduled run in Rewake is wired: EventBridge Scheduler
 * in the configured time zone invokes the function asynchronously with {"source":"schedule"}; a run
 * that cannot start or that fails inside the function (after one retry for transient errors) lands
 * in the failed-runs queue, which alarms. The jobs are idempotent, so the one retry is safe.
 */
export function scheduleJob(scope: Construct, fn: IFunction, options: ScheduleJobOptions): Schedule {
  fn.configureAsyncInvoke({
    retryAttempts: 1,
    maxEventAge: Duration.hours(6),
    onFailure: new SqsDestination(options.failedRunsQueue),
  });
  const role = schedulerRole(scope, 'ScheduleRole', `rewake: EventBridge Scheduler invokes the ${options.what}`);
  const schedule = new Schedule(scope, 'Schedule', {
    description: `rewake ${options.what}, ${options.cron} in ${options.timezone}`,
    schedule: ScheduleExpression.expression(`cron(${options.cron})`, TimeZone.of(options.timezone)),
    enabled: options.enabled ?? true,
    target: new LambdaInvoke(fn, {
      role,
      input: ScheduleTargetInput.fromObject(SCHEDULE_INPUT),
      deadLetterQueue: options.failedRunsQueue,
      // Scheduler invokes asynchronously, so these retries only cover the Invoke call itself.
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    }),
  });
  Validations.of(role).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${Stack.of(scope).getLogicalId(fn.node.defaultChild as CfnFunction)}.Arn>:*]`,
    reason: `lambda:InvokeFunction on the ${options.what} function and its versions/aliases (ARN:*), as CDK's grantInvoke writes it: one function, no other resource.`,
  });
  return schedule;
}
