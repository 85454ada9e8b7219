import { Stack } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * The role EventBridge Scheduler assumes to reach one schedule's target. Ours rather than the one a
 * scheduler target would add at stack level, so it lives (and is acknowledged) in the construct that
 * owns the schedule, and only schedules of this account's default group may assume it
 * (confused-deputy guard). The target adds the one permission it needs (invoke, start execution).
 */
export function schedulerRole(scope: Construct, id: string, description: string): Role {
  const stack = Stack.of(scope);
  return new Role(scope, id, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: 'default' }),
        },
      },
    }),
    description,
  });
}
