import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors';
import { arnOf, logicalId, ref, synthRewake } from './helpers';

const { stack, template } = synthRewake({
  queue: { maxReceiveCount: 3, visibilityTimeoutSeconds: 150, senderBatchSize: 7 },
});
const { delivery, alarms } = stack;

describe('delivery queue', () => {
  it('encrypts the candidates queue and every other queue at rest', () => {
    // candidates + DLQ, profile refresh + DLQ, failed scheduled runs
    template.resourceCountIs('AWS::SQS::Queue', 5);
    template.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('moves a candidate to the dead-letter queue after config.queue.maxReceiveCount receives', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: arnOf(delivery.deadLetterQueue), maxReceiveCount: 3 },
    });
  });

  it('takes the visibility timeout from config.queue.visibilityTimeoutSeconds', () => {
    const queue = template.toJSON().Resources[logicalId(delivery.queue)];
    expect(queue.Properties.VisibilityTimeout).toBe(150);
  });

  it('keeps dead letters for the fourteen days SQS allows', () => {
    const dlq = template.toJSON().Resources[logicalId(delivery.deadLetterQueue)];
    expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('denies every queue request that does not use TLS', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(5);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 'sqs:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('alarms as soon as one message is visible in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(delivery.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(alarms.topic)],
      OKActions: [ref(alarms.topic)],
    });
  });

  it('encrypts the alarm topic with a rotating key that CloudWatch may use, and requires TLS to publish', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(alarms.key) });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('feeds the sender in batches of config.queue.senderBatchSize with partial batch failure reporting', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(arnOf(delivery.queue)),
    );
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      FunctionName: ref(delivery.sender.function),
      BatchSize: 7,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mappings[0]!.Properties.MaximumBatchingWindowInSeconds).toBeLessThanOrEqual(5);
  });

  it('gives the sender a timeout no longer than a sixth of the visibility timeout', () => {
    const sender = template.toJSON().Resources[logicalId(delivery.sender.function)];
    expect(sender.Properties.Timeout * 6).toBeLessThanOrEqual(150);
  });

  it('fails synth naming queue.visibilityTimeoutSeconds when it is under six times the sender timeout', () => {
    const synthWithShortVisibility = () => synthRewake({ queue: { visibilityTimeoutSeconds: 60 } });
    expect(synthWithShortVisibility).toThrow(ConfigError);
    expect(synthWithShortVisibility).toThrow(/queue\.visibilityTimeoutSeconds: 60 .*six times.* 120/s);
  });
});
