import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { RewakeFunction } from './rewake-function';
import { scheduleJob } from './scheduled-job';
import type { Tables } from './tables';

export interface ScheduledRecommendationsProps {
  /** `recommendations.trainCron` in `schedule.timezone`; `recommendations.*` the model's size. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Where runs that never started or failed are parked; it alarms (ScheduledScan.failedRunsQueue). */
  readonly failedRunsQueue: IQueue;
  /** @default true */
  readonly enabled?: boolean;
}

/**
 * The weekly recommender training: streams every purchase and browse fact from the events table
 * (parallel scan), trains the item-to-item model and stores it in the models table, records first
 * and the `recs#latest` pointer last, so the sender never reads half a model. Until the first run
 * the sender simply sends without recommendations.
 */
export class ScheduledRecommendations extends Construct {
  public readonly train: RewakeFunction;
  public readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ScheduledRecommendationsProps) {
    super(scope, id);
    const { config, tables } = props;

    this.train = new RewakeFunction(this, 'Train', {
      stage: 'recommend',
      config,
      description: 'rewake recommend: item-to-item model from purchases and browsing, stored in the models table',
      timeout: Duration.minutes(15),
      // Co-occurrence counts grow with (user, item) pairs; a whole vCPU for the single-threaded training.
      memorySize: 1769,
      environment: tables.environmentFor('Events', 'Models'),
    });
    tables.events.grant(this.train.function, 'dynamodb:Scan');
    // Write the new version and its pointer; read pointers and manifests to prune all but the newest two.
    tables.models.grant(this.train.function, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DeleteItem');

    this.schedule = scheduleJob(this, this.train.function, {
      what: 'recommender training',
      cron: config.recommendations.trainCron,
      timezone: config.schedule.timezone,
      failedRunsQueue: props.failedRunsQueue,
      enabled: props.enabled,
    });
  }
}
