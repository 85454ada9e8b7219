/**
 * Composes the CDK app: the one Rewake stack plus the cdk-nag checks every synth must pass. Shared by
 * bin/app.ts and the infra tests, so the tests check the same wiring `cdk synth` runs.
 */
import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RewakeConfig } from '../../shared/config';
import { RewakeStack, STACK_ID, type RewakeStackProps } from './rewake-stack';

export function defineRewakeApp(
  app: App,
  config: RewakeConfig,
  props: Omit<RewakeStackProps, 'config'> = {},
): RewakeStack {
  const stack = new RewakeStack(app, STACK_ID, {
    description: 'Rewake: finds dormant customers and wins them back (ingest API, profile refresh, weekly model fit, daily scan, delivery queue)',
    ...props,
    config,
  });
  // cdk-nag 3 is a policy-validation plugin (registering it as an Aspect crashes synth). Findings fail
  // synth unless acknowledged in code next to the resource, with the reason.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}
