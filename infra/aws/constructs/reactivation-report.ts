import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { CfnBucket } from 'aws-cdk-lib/aws-s3';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { ENV } from '../../../shared/env';
import { CHART_JS_FILE } from '../../../shared/measure/report-html';
import { LATEST_JSON_KEY } from '../../../functions/report/keys';
import { RewakeFunction } from './rewake-function';
import { scheduleJob } from './scheduled-job';
import type { Tables } from './tables';

const logicalIdOf = (bucket: Bucket) => Stack.of(bucket).getLogicalId(bucket.node.defaultChild as CfnBucket);

export interface ReactivationReportProps {
  /** `report.scheduleCron` and `schedule.timezone` set when it runs; `report.*` what it measures. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Where runs that never started or failed are parked; it alarms (ScheduledScan.failedRunsQueue). */
  readonly failedRunsQueue: IQueue;
  /** @default true */
  readonly enabled?: boolean;
}

/**
 * The reactivation report (回流率): a daily job reads the sends ledger and the facts of every user
 * it names, compares treated users with the holdout, and writes reports/<day>.json,
 * reports/latest.html and, last, reports/latest.json to a private bucket; a small read-only λ
 * serves reports/latest.json as GET /v1/reports/latest (wired by IngestApi).
 */
export class ReactivationReport extends Construct {
  public readonly bucket: Bucket;
  public readonly report: RewakeFunction;
  public readonly latest: RewakeFunction;
  public readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ReactivationReportProps) {
    super(scope, id);
    const { config, tables } = props;

    this.bucket = new Bucket(this, 'Reports', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // Dated reports are the history the marketing team compares; a year and a bit is plenty.
      lifecycleRules: [{ prefix: 'reports/', expiration: Duration.days(400) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds aggregate report figures only (no personal data), written by one role and read by one; ' +
        'server access logs would need a second bucket for no audit value. CloudTrail data events can be enabled if required.',
    });

    this.report = new RewakeFunction(this, 'Report', {
      stage: 'report',
      config,
      description: 'rewake report: treated vs holdout reactivation, written to the reports bucket',
      // One facts query per messaged user, a few at a time: minutes for a large ledger.
      timeout: Duration.minutes(15),
      memorySize: 1024,
      environment: { ...tables.environmentFor('Sends', 'Events', 'Profiles'), [ENV.reportsBucket]: this.bucket.bucketName },
      copyFiles: [`node_modules/chart.js/dist/${CHART_JS_FILE}`],
    });
    tables.sends.grant(this.report.function, 'dynamodb:Scan');
    tables.events.grant(this.report.function, 'dynamodb:Query');
    // Counts users for the top of the funnel (Select: COUNT).
    tables.profiles.grant(this.report.function, 'dynamodb:Scan');
    this.bucket.grantPut(this.report.function, 'reports/*');
    Validations.of(this.report.role).acknowledge(
      { id: 'AwsSolutions-IAM5[Resource::<' + logicalIdOf(this.bucket) + '.Arn>/reports/*]', reason: 'Writes dated report files under reports/ only; their names are the report days.' },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: 'CDK grantPut: abort its own multipart uploads, on the same reports/* objects.' },
    );

    this.latest = new RewakeFunction(this, 'Latest', {
      stage: 'report',
      handlerFile: 'latest.ts',
      config,
      description: 'rewake GET /v1/reports/latest: the latest report summary from the reports bucket',
      environment: { [ENV.reportsBucket]: this.bucket.bucketName },
    });
    // Read of the one key; bucket-level List lets S3 answer NoSuchKey (→ 404) rather than AccessDenied.
    this.bucket.grantRead(this.latest.function, LATEST_JSON_KEY);
    Validations.of(this.latest.role).acknowledge(
      { id: 'AwsSolutions-IAM5[Action::s3:GetObject*]', reason: 'CDK grantRead: GetObject and its variants (version, ACL, tagging) on the one key reports/latest.json.' },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: 'CDK grantRead: bucket metadata of the reports bucket only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: 'Listing the reports bucket lets S3 answer NoSuchKey (a 404 to the caller) instead of AccessDenied before the first report.' },
    );

    this.schedule = scheduleJob(this, this.report.function, {
      what: 'reactivation report',
      cron: config.report.scheduleCron,
      timezone: config.schedule.timezone,
      failedRunsQueue: props.failedRunsQueue,
      enabled: props.enabled,
    });
  }
}
