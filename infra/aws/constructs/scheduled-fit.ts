import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { RewakeFunction } from './rewake-function';
import { scheduleJob } from './scheduled-job';
import type { Tables } from './tables';

export interface ScheduledFitProps {
  /**
   * The validated configuration; `schedule.fitCron` and `schedule.timezone` set the schedule,
   * `schedule.scanSegments` the parallel read, `model.*` the fit.
   */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /**
   * Where fits that never started or failed are parked (ScheduledScan.failedRunsQueue: one queue and
   * one alarm for every scheduled run). Must already alarm on its first message.
   */
  readonly failedRunsQueue: IQueue;
  /**
   * Lambda's maximum: the fit reads every profile and maximises the likelihood over the whole base.
   * @default Duration.minutes(15)
   */
  readonly fitTimeout?: Duration;
  /**
   * 1,769 MB is where Lambda gives a whole vCPU, and the optimisation is single-threaded and
   * CPU-bound; a million customers take about 32 MB of typed arrays, so memory is not the limit.
   * @default 1769
   */
  readonly fitMemorySize?: number;
  /**
   * Whether the schedule fires. Off for a stack that should only be run by hand.
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * The weekly model fit: an EventBridge Scheduler schedule in the configured time zone invoking the
 * fit λ, which streams every profile (parallel scan), fits BG/NBD, MBG/NBD and Gamma-Gamma, and
 * stores the parameters in the models table, where the scan's plan phase finds the latest. Without a
 * usable fit, scans fall back to the rules, so a failed fit degrades tiers rather than stopping sends;
 * still, it is parked in the failed-runs queue and alarms like a scan that never started.
 */
export class ScheduledFit extends Construct {
  public readonly fit: RewakeFunction;
  public readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ScheduledFitProps) {
    super(scope, id);
    const { config, tables } = props;

    this.fit = new RewakeFunction(this, 'Fit', {
      stage: 'fit',
      config,
      description: 'rewake fit: BTYD models on the whole customer base, stored in the models table',
      timeout: props.fitTimeout ?? Duration.minutes(15),
      memorySize: props.fitMemorySize ?? 1769,
      environment: tables.environmentFor('Profiles', 'Models'),
    });
    // Reads profiles only by parallel scan (ProfileStore.scanSegment); every fit is a new item.
    tables.profiles.grant(this.fit.function, 'dynamodb:Scan');
    tables.models.grant(this.fit.function, 'dynamodb:PutItem');

    // A fit is safe to repeat (each is kept under its own fittedAt); a second attempt of a 15-minute
    // run that timed out would time out again, hence only the one retry scheduleJob gives.
    this.schedule = scheduleJob(this, this.fit.function, {
      what: 'model fit',
      cron: config.schedule.fitCron,
      timezone: config.schedule.timezone,
      failedRunsQueue: props.failedRunsQueue,
      enabled: props.enabled,
    });
  }
}
