import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/errors';
import { arnOf, logicalId, ref, statementsOfRole, synthRewake } from './helpers';

const { stack, template } = synthRewake();
const { scheduledScan } = stack;

describe('scheduled scan', () => {
  it('runs the scan daily at 02:00 Asia/Shanghai by default', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      State: 'ENABLED',
    });
  });

  it('takes the cron expression and time zone from config.schedule', () => {
    const { template: custom } = synthRewake({ schedule: { scanCron: '30 3 ? * MON-FRI *', timezone: 'Europe/Berlin' } });
    custom.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 3 ? * MON-FRI *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  it('fails synth naming schedule.timezone when it is not an IANA time zone', () => {
    expect(() => synthRewake({ schedule: { timezone: 'Mars/Olympus' } })).toThrow(ConfigError);
    expect(() => synthRewake({ schedule: { timezone: 'Mars/Olympus' } })).toThrow(/schedule\.timezone/);
  });

  it('invokes the scan function with {"source":"schedule"}', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { Arn: arnOf(scheduledScan.scan.function), Input: '{"source":"schedule"}' },
    });
  });

  it('retries a failed invocation within an hour, then parks it in the failed-runs queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        DeadLetterConfig: { Arn: arnOf(scheduledScan.failedRunsQueue) },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('parks runs that fail inside the function in the same failed-runs queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(scheduledScan.scan.function),
      DestinationConfig: { OnFailure: { Destination: arnOf(scheduledScan.failedRunsQueue) } },
    });
  });

  it('alarms on the first failed run', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(scheduledScan.failedRunsQueue), 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [ref(stack.alarms.topic)],
    });
  });

  it('lets the scheduler invoke the scan function and write to the failed-runs queue, nothing else', () => {
    const roleId = template.toJSON().Resources[logicalId(scheduledScan.schedule)].Properties.Target.RoleArn['Fn::GetAtt'][0];
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': Match.anyValue() } },
          },
        ],
      },
    });
    const statements = statementsOfRole(template, roleId).map((st) => ({ Action: st.Action, Resource: st.Resource }));
    const scan = arnOf(scheduledScan.scan.function);
    expect(statements).toEqual([
      { Action: 'lambda:InvokeFunction', Resource: [scan, { 'Fn::Join': ['', [scan, ':*']] }] },
      { Action: 'sqs:SendMessage', Resource: arnOf(scheduledScan.failedRunsQueue) },
    ]);
  });
});
