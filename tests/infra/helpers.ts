/**
 * Builds the Rewake stack the way bin/app.ts does, fast: bundling skipped (context
 * aws:cdk:bundling-stacks = []) and CloudFormation's built-in validation off.
 */
import { App, type CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { parseConfig, type RewakeConfig, type RewakeConfigInput } from '../../shared/config';
import { RewakeStack, STACK_ID, type RewakeStackProps } from '../../infra/aws/rewake-stack';

export const FAST_APP_PROPS = {
  context: { 'aws:cdk:bundling-stacks': [] },
  builtinCloudFormationValidation: false,
} as const;

export interface Synthesized {
  readonly stack: RewakeStack;
  readonly template: Template;
  readonly config: RewakeConfig;
}

export function synthRewake(
  input: RewakeConfigInput = {},
  props: Omit<RewakeStackProps, 'config'> = {},
): Synthesized {
  const config = parseConfig(input);
  const app = new App(FAST_APP_PROPS);
  const stack = new RewakeStack(app, STACK_ID, { ...props, config });
  return { stack, template: Template.fromStack(stack), config };
}

/** The CloudFormation logical id of a construct's L1 resource. */
export function logicalId(construct: IConstruct): string {
  const cfn = (construct.node.defaultChild ?? construct) as CfnElement;
  return (cfn.stack as Stack).getLogicalId(cfn);
}

export const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
export const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Sid?: string;
}

/** Every statement of every inline policy attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** The statements of a role that touch this resource (by Ref/GetAtt anywhere in the resource). */
export function statementsOn(statements: Statement[], resourceLogicalId: string): Statement[] {
  return statements.filter((s) => JSON.stringify(s.Resource).includes(`"${resourceLogicalId}"`));
}
