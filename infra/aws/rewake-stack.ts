import { CfnOutput, CfnParameter, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { configOverrides, type RewakeConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';
import { AlarmTopic } from './constructs/alarm-topic';
import { ChannelFeedback } from './constructs/channel-feedback';
import { ChannelSecrets } from './constructs/channel-secrets';
import { DeliveryQueue } from './constructs/delivery-queue';
import { IngestApi } from './constructs/ingest-api';
import { ProfileRefresh } from './constructs/profile-refresh';
import { ReactivationReport } from './constructs/reactivation-report';
import { ScheduledFit } from './constructs/scheduled-fit';
import { ScheduledRecommendations } from './constructs/scheduled-recommendations';
import { ScheduledScan } from './constructs/scheduled-scan';
import { Tables } from './constructs/tables';
import { UNSUBSCRIBE_PATH, UnsubscribeEndpoint } from './constructs/unsubscribe-endpoint';

/** The stack's construct id and default CloudFormation stack name. Never rename a deployed one. */
export const STACK_ID = 'Rewake';

/** Logical id of the stack parameter that supplies the Pinpoint project id at deploy time. */
export const PINPOINT_APPLICATION_ID_PARAMETER = 'PinpointApplicationId';

/**
 * Lambda allows 4 KB for all of a function's environment variables together; the config travels as
 * one of them. What is left after this covers table names, queue URLs and the fixed variables.
 */
export const MAX_CONFIG_ENV_BYTES = 3 * 1024;

export interface RewakeStackProps extends StackProps {
  /** The validated configuration (shared/config.ts parseConfig). */
  readonly config: RewakeConfig;
  /**
   * Create API Gateway's account-level CloudWatch Logs role (see IngestApi).
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
}

/**
 * Rewake on AWS, read top to bottom as the data flows:
 * API → ingest λ → events table, profile-refresh queue → profiles λ → profiles table;
 * weekly schedule → fit λ → models table;
 * daily schedule → scan state machine → scan λ (per phase and segment) → candidates queue → sender λ → Pinpoint
 * (and, when configured, SES, End User Messaging SMS and a signed webhook, their HMAC keys in Secrets Manager);
 * with SES: GET|POST /v1/unsubscribe (no API key) → unsubscribe λ → profile event;
 * SES bounces and complaints, SMS replies and events → feedback topic → queue → feedback λ → profile events.
 *
 * Rewake never creates a Pinpoint project (Pinpoint takes no new customers): it sends through an
 * existing one, named in config.channels.pinpoint.applicationId or, when that is unset, by the
 * PinpointApplicationId parameter at deploy time.
 */
export class RewakeStack extends Stack {
  public readonly tables: Tables;
  public readonly alarms: AlarmTopic;
  public readonly delivery: DeliveryQueue;
  public readonly scheduledScan: ScheduledScan;
  public readonly scheduledFit: ScheduledFit;
  public readonly profileRefresh: ProfileRefresh;
  public readonly ingestApi: IngestApi;
  /** The channels' HMAC keys (with channels.ses or channels.webhook). */
  public readonly channelSecrets: ChannelSecrets;
  /** SES / End User Messaging feedback → profile events (with channels.ses or channels.sms). */
  public readonly channelFeedback?: ChannelFeedback;
  /** GET|POST /v1/unsubscribe (with channels.ses). */
  public readonly unsubscribe?: UnsubscribeEndpoint;
  /** The weekly recommender training (models table), read by the sender. */
  public readonly recommendations: ScheduledRecommendations;
  /** The daily reactivation report (reports bucket) and GET /v1/reports/latest. */
  public readonly report: ReactivationReport;
  /** The Pinpoint project id the sender uses: a literal from config, or the parameter's token. */
  public readonly pinpointApplicationId: string;

  constructor(scope: Construct, id: string, props: RewakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    assertConfigFitsLambdaEnvironment(config);

    this.pinpointApplicationId = config.channels.pinpoint.applicationId ?? this.pinpointApplicationIdParameter();

    this.tables = new Tables(this, 'Tables');
    this.alarms = new AlarmTopic(this, 'Alarms');
    const { ses, sms } = config.channels;
    this.channelSecrets = new ChannelSecrets(this, 'ChannelSecrets', { config });
    if (ses || sms) {
      this.channelFeedback = new ChannelFeedback(this, 'Feedback', { config, tables: this.tables, alarms: this.alarms, secrets: this.channelSecrets });
    }
    this.delivery = new DeliveryQueue(this, 'Delivery', {
      config,
      tables: this.tables,
      alarms: this.alarms,
      pinpointApplicationId: this.pinpointApplicationId,
      secrets: this.channelSecrets,
      recordProviderOutcomes: true,
      sesConfigurationSetName: this.channelFeedback?.sesConfigurationSetName,
      smsConfigurationSetName: this.channelFeedback?.smsConfigurationSetName,
    });
    this.scheduledScan = new ScheduledScan(this, 'ScheduledScan', {
      config,
      tables: this.tables,
      candidatesQueue: this.delivery.queue,
      alarms: this.alarms,
    });
    this.scheduledFit = new ScheduledFit(this, 'ScheduledFit', {
      config,
      tables: this.tables,
      failedRunsQueue: this.scheduledScan.failedRunsQueue,
    });
    this.profileRefresh = new ProfileRefresh(this, 'ProfileRefresh', {
      config,
      tables: this.tables,
      alarms: this.alarms,
    });
    this.ingestApi = new IngestApi(this, 'IngestApi', {
      config,
      tables: this.tables,
      profileRefreshQueue: this.profileRefresh.queue,
      cloudWatchRole: props.apiGatewayCloudWatchRole,
    });
    this.recommendations = new ScheduledRecommendations(this, 'Recommendations', {
      config,
      tables: this.tables,
      failedRunsQueue: this.scheduledScan.failedRunsQueue,
    });
    this.report = new ReactivationReport(this, 'Report', {
      config,
      tables: this.tables,
      failedRunsQueue: this.scheduledScan.failedRunsQueue,
    });
    this.ingestApi.addKeyedRoute(['v1', 'reports', 'latest'], 'GET', this.report.latest.function);
    if (ses) {
      this.unsubscribe = new UnsubscribeEndpoint(this, 'Unsubscribe', {
        config,
        tables: this.tables,
        api: this.ingestApi.api,
        secrets: this.channelSecrets,
        secret: this.channelSecrets.unsubscribe!,
      });
    }

    this.outputs();
  }

  private pinpointApplicationIdParameter(): string {
    // No default: synth needs no value, and deploy fails fast unless one is given.
    return new CfnParameter(this, PINPOINT_APPLICATION_ID_PARAMETER, {
      type: 'String',
      description:
        'Id of an existing Amazon Pinpoint project the sender sends through (32 lowercase hex characters). ' +
        'Rewake never creates one. Unused when config.channels.pinpoint.applicationId is set.',
      allowedPattern: '^[a-f0-9]{32}$',
      constraintDescription: 'must be a 32-character lowercase hex Pinpoint project id',
    }).valueAsString;
  }

  private outputs(): void {
    const api = this.ingestApi;
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the ingest API (POST v1/events, GET|DELETE v1/users/{userId})',
      value: api.api.url,
    });
    new CfnOutput(this, 'ApiKeyId', {
      description: 'Id of the API key; its value: aws apigateway get-api-key --include-value --api-key <id>',
      value: api.apiKey.keyId,
    });
    new CfnOutput(this, 'CandidatesDeadLetterQueueArn', {
      description: 'Redrive after fixing the cause: aws sqs start-message-move-task --source-arn <this>',
      value: this.delivery.deadLetterQueue.queueArn,
    });
    new CfnOutput(this, 'ProfileRefreshDeadLetterQueueArn', {
      description: 'Redrive after fixing the cause: aws sqs start-message-move-task --source-arn <this>',
      value: this.profileRefresh.deadLetterQueue.queueArn,
    });
    new CfnOutput(this, 'FailedScanRunsQueueUrl', {
      description: 'Scheduled scans that never started, and model fits that never started or failed',
      value: this.scheduledScan.failedRunsQueue.queueUrl,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Subscribe operators here (email, chat, pager) for dead-letter and failed-run alarms',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'ScanStateMachineArn', {
      description:
        'Run a scan now: aws stepfunctions start-execution --state-machine-arn <this> --input \'{"source":"manual"}\'',
      value: this.scheduledScan.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'FitFunctionName', {
      description:
        'Fit the models now: aws lambda invoke --function-name <this> --invocation-type Event ' +
        '--cli-binary-format raw-in-base64-out --payload \'{"source":"manual"}\' /dev/null',
      value: this.scheduledFit.fit.function.functionName,
    });
    new CfnOutput(this, 'ReportsBucketName', {
      description: 'The reactivation reports: reports/latest.html, reports/latest.json, reports/<day>.json',
      value: this.report.bucket.bucketName,
    });
    if (this.unsubscribe) {
      new CfnOutput(this, 'UnsubscribeUrl', {
        description: 'Where the unsubscribe links must lead: set channels.ses.unsubscribeBaseUrl to this (or a custom domain mapped to it)',
        value: `${api.api.url}${UNSUBSCRIBE_PATH}`,
      });
    }
    if (this.channelFeedback) {
      new CfnOutput(this, 'FeedbackTopicArn', {
        description: 'SES and End User Messaging feedback: point the SMS phone number\'s (or pool\'s) two-way channel here',
        value: this.channelFeedback.topic.topicArn,
      });
      new CfnOutput(this, 'FeedbackDeadLetterQueueArn', {
        description: 'Redrive after fixing the cause: aws sqs start-message-move-task --source-arn <this>',
        value: this.channelFeedback.deadLetterQueue.queueArn,
      });
    }
    if (this.channelSecrets.webhook) {
      new CfnOutput(this, 'WebhookSecretArn', {
        description: 'The webhook HMAC key to give the provider: aws secretsmanager get-secret-value --secret-id <this>',
        value: this.channelSecrets.webhook.secret.secretArn,
      });
    }
    for (const { definition, table } of this.tables.all) {
      new CfnOutput(this, `${definition.id}TableName`, { value: table.tableName });
    }
  }
}

/**
 * The config reaches each Lambda as JSON in REWAKE_CONFIG, and Lambda rejects a deployment whose
 * environment exceeds 4 KB; better to say so at synth than half-way through `cdk deploy`.
 */
export function assertConfigFitsLambdaEnvironment(config: RewakeConfig): void {
  // Functions receive only what differs from the defaults (RewakeFunction, configOverrides).
  const bytes = Buffer.byteLength(JSON.stringify(configOverrides(config)), 'utf8');
  if (bytes > MAX_CONFIG_ENV_BYTES) {
    throw new ConfigError(
      `Invalid configuration:\n  (root): is ${bytes} bytes as JSON, over the ${MAX_CONFIG_ENV_BYTES} bytes it may take ` +
        'of a Lambda function\'s 4 KB environment. Shorten long values (templates, brand text) or move them out of the config.',
    );
  }
}
