import { Duration, Stack, App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlarmTopic } from '../../infra/aws/constructs/alarm-topic';
import { ProfileRefresh } from '../../infra/aws/constructs/profile-refresh';
import { Tables } from '../../infra/aws/constructs/tables';
import { parseConfig } from '../../shared/config';
import { FAST_APP_PROPS, arnOf, logicalId, ref, synthRewake } from './helpers';

const { stack, template } = synthRewake({ queue: { maxReceiveCount: 4 } });
const { profileRefresh, alarms } = stack;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const queue = resources[logicalId(profileRefresh.queue)]!.Properties;
const dlq = resources[logicalId(profileRefresh.deadLetterQueue)]!.Properties;
const refresher = resources[logicalId(profileRefresh.refresher.function)]!.Properties;

describe('profile refresh', () => {
  it('encrypts the refresh queue and its dead-letter queue at rest and denies requests without TLS', () => {
    for (const q of [profileRefresh.queue, profileRefresh.deadLetterQueue]) {
      expect(resources[logicalId(q)]!.Properties.SqsManagedSseEnabled).toBe(true);
      const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
        JSON.stringify(p.Properties.Queues).includes(logicalId(q)),
      );
      expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('moves a refresh request to its own dead-letter queue after config.queue.maxReceiveCount receives', () => {
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(profileRefresh.deadLetterQueue), maxReceiveCount: 4 });
    expect(profileRefresh.deadLetterQueue).not.toBe(stack.delivery.deadLetterQueue);
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('keeps a message invisible for at least six times the profiles function\'s timeout', () => {
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * refresher.Timeout);
  });

  it('alarms on the alarm topic as soon as one refresh request is dead-lettered', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(profileRefresh.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(alarms.topic)],
      OKActions: [ref(alarms.topic)],
    });
  });

  it('feeds the profiles function in batches of 10 with a short batching window and partial batch failure reporting', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(arnOf(profileRefresh.queue)),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: ref(profileRefresh.refresher.function),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mappings[0]!.Properties.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(5);
  });

  it('runs functions/profiles/handler.ts, and only that function consumes the queue', () => {
    expect(refresher.Description).toMatch(/^rewake profiles/);
    template.resourcePropertiesCountIs('AWS::Lambda::EventSourceMapping', { EventSourceArn: arnOf(profileRefresh.queue) }, 1);
  });

  it('derives the visibility timeout from a custom function timeout', () => {
    const custom = new Stack(new App(FAST_APP_PROPS), 'Custom');
    const refresh = new ProfileRefresh(custom, 'ProfileRefresh', {
      config: parseConfig({}),
      tables: new Tables(custom, 'Tables'),
      alarms: new AlarmTopic(custom, 'Alarms'),
      refreshTimeout: Duration.seconds(45),
    });
    const props = Template.fromStack(custom).toJSON().Resources[logicalId(refresh.queue)].Properties;
    expect(props.VisibilityTimeout).toBe(270);
  });
});
