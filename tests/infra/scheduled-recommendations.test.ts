import { describe, expect, it } from 'vitest';
import { arnOf, logicalId, ref, synthRewake } from './helpers';

describe('scheduled recommender training', () => {
  it('trains weekly on recommendations.trainCron in the schedule time zone, failures parked in the failed-runs queue', () => {
    const { stack, template, config } = synthRewake({ recommendations: { trainCron: '30 4 ? * SUN *' }, schedule: { timezone: 'Europe/Berlin' } });
    const schedule = template.toJSON().Resources[logicalId(stack.recommendations.schedule)].Properties;
    expect(config.recommendations.trainCron).toBe('30 4 ? * SUN *');
    expect(schedule).toMatchObject({
      ScheduleExpression: 'cron(30 4 ? * SUN *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: { Arn: arnOf(stack.recommendations.train.function), Input: '{"source":"schedule"}', DeadLetterConfig: { Arn: arnOf(stack.scheduledScan.failedRunsQueue) } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(stack.recommendations.train.function),
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.scheduledScan.failedRunsQueue) } },
    });
  });
});
