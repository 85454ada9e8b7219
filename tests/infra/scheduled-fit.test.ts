import { describe, expect, it } from 'vitest';
import { arnOf, logicalId, ref, statementsOfRole, synthRewake } from './helpers';

const { stack, template } = synthRewake();
const { scheduledFit, scheduledScan } = stack;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const fitSchedule = () => resources[logicalId(scheduledFit.schedule)]!.Properties;

describe('scheduled model fit', () => {
  it('runs the fit weekly, Mondays at 01:00 Asia/Shanghai by default, before that day\'s scan', () => {
    expect(fitSchedule()).toMatchObject({
      ScheduleExpression: 'cron(0 1 ? * MON *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      State: 'ENABLED',
    });
  });

  it('takes the cron expression from config.schedule.fitCron, in config.schedule.timezone', () => {
    const { stack: custom, template: customTemplate } = synthRewake({
      schedule: { fitCron: '15 0 ? * SUN *', timezone: 'Europe/Berlin' },
    });
    const props = customTemplate.toJSON().Resources[logicalId(custom.scheduledFit.schedule)].Properties;
    expect(props).toMatchObject({ ScheduleExpression: 'cron(15 0 ? * SUN *)', ScheduleExpressionTimezone: 'Europe/Berlin' });
  });

  it('invokes the fit function with {"source":"schedule"}', () => {
    expect(fitSchedule().Target).toMatchObject({ Arn: arnOf(scheduledFit.fit.function), Input: '{"source":"schedule"}' });
  });

  it('retries a failed invocation within an hour, then parks it in the failed-runs queue', () => {
    expect(fitSchedule().Target).toMatchObject({
      DeadLetterConfig: { Arn: arnOf(scheduledScan.failedRunsQueue) },
      RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
    });
  });

  it('parks fits that fail inside the function in the same failed-runs queue, which alarms', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(scheduledFit.fit.function),
      DestinationConfig: { OnFailure: { Destination: arnOf(scheduledScan.failedRunsQueue) } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(scheduledScan.failedRunsQueue), 'QueueName'] } }],
      AlarmActions: [ref(stack.alarms.topic)],
    });
  });

  it('gives the fit Lambda\'s longest timeout and 1–2 GB of memory', () => {
    const fit = resources[logicalId(scheduledFit.fit.function)]!.Properties;
    expect(fit.Timeout).toBe(900);
    expect(fit.MemorySize).toBeGreaterThanOrEqual(1024);
    expect(fit.MemorySize).toBeLessThanOrEqual(2048);
  });

  it('lets the scheduler invoke only the fit function and write to the failed-runs queue', () => {
    const roleId = fitSchedule().Target.RoleArn['Fn::GetAtt'][0];
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': expect.anything() } },
      }),
    ]);
    const fit = arnOf(scheduledFit.fit.function);
    expect(statementsOfRole(template, roleId).map((s) => ({ Action: s.Action, Resource: s.Resource }))).toEqual([
      { Action: 'lambda:InvokeFunction', Resource: [fit, { 'Fn::Join': ['', [fit, ':*']] }] },
      { Action: 'sqs:SendMessage', Resource: arnOf(scheduledScan.failedRunsQueue) },
    ]);
  });
});
