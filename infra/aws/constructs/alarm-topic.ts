import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  /** @default 'rewake alarms' */
  readonly displayName?: string;
}

/**
 * Where rewake's alarms go: one encrypted SNS topic that operators subscribe to (email, chat,
 * pager), and helpers that alarm on messages waiting in a dead-letter queue or on any failure count.
 *
 * The topic needs a customer-managed key: CloudWatch alarms cannot publish to a topic encrypted with
 * the AWS-managed aws/sns key, whose policy cannot grant the CloudWatch service principal.
 */
export class AlarmTopic extends Construct {
  public readonly topic: Topic;
  public readonly key: Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps = {}) {
    super(scope, id);

    this.key = new Key(this, 'Key', {
      description: 'rewake alarm topic encryption',
      enableKeyRotation: true,
      // It only protects alarm notifications in flight; nothing outlives the stack that needs it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" means this key
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: props.displayName ?? 'rewake alarms',
      masterKey: this.key,
      enforceSSL: true,
    });
  }

  /**
   * Alarms as soon as one message sits in `queue` (a dead-letter queue): every message there is a
   * candidate, a profile refresh or a scheduled run that will not happen until someone looks and redrives.
   */
  alarmOnDeadLetters(id: string, queue: IQueue, description: string): Alarm {
    return this.alarmOnAny(
      id,
      queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      description,
    );
  }

  /**
   * Alarms (and notifies again when it clears) as soon as `metric` reaches 1 in a period: a count of
   * things that should never happen, such as failed state machine executions. No data is healthy:
   * AWS publishes some of these metrics only when there is something to count.
   */
  alarmOnAny(id: string, metric: IMetric, description: string): Alarm {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // SQS stops publishing metrics for a queue that has been idle for hours; idle is healthy.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    return alarm;
  }
}
