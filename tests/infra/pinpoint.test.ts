import { describe, expect, it } from 'vitest';
import { PINPOINT_APPLICATION_ID_PARAMETER } from '../../infra/aws/rewake-stack';
import { actionsOf, logicalId, resourcesOf, synthRewake, type Statement } from './helpers';

const APP_ID = '0123456789abcdef0123456789abcdef';
const fromParameter = synthRewake();
const fromConfig = synthRewake({ channels: { pinpoint: { applicationId: APP_ID } } });

const ARN_HEAD = ['arn:', { Ref: 'AWS::Partition' }, ':mobiletargeting:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }];
const messagesArnForParameter = { 'Fn::Join': ['', [...ARN_HEAD, ':apps/', { Ref: PINPOINT_APPLICATION_ID_PARAMETER }, '/messages']] };
const messagesArnForLiteral = { 'Fn::Join': ['', [...ARN_HEAD, `:apps/${APP_ID}/messages`]] };

/** Every IAM statement in the template that mentions a Pinpoint (mobiletargeting) action, with its role. */
function pinpointStatements(synth: typeof fromParameter): Array<{ roles: unknown; statement: Statement }> {
  return Object.values(synth.template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => actionsOf(s).some((a) => a.startsWith('mobiletargeting:') || a === '*'))
      .map((statement) => ({ roles: policy.Properties.Roles, statement })),
  );
}

describe('Pinpoint channel', () => {
  it('never creates a Pinpoint project or any other Pinpoint resource', () => {
    for (const { template } of [fromParameter, fromConfig]) {
      const types = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type);
      expect(types.filter((t) => t.startsWith('AWS::Pinpoint'))).toEqual([]);
      template.resourceCountIs('AWS::Pinpoint::App', 0);
    }
  });

  it('asks for the project id as the PinpointApplicationId parameter when config has none', () => {
    fromParameter.template.hasParameter(PINPOINT_APPLICATION_ID_PARAMETER, {
      Type: 'String',
      AllowedPattern: '^[a-f0-9]{32}$',
    });
    // No default: `cdk synth` needs no value, and `cdk deploy` fails until one is given.
    expect(fromParameter.template.toJSON().Parameters[PINPOINT_APPLICATION_ID_PARAMETER].Default).toBeUndefined();
  });

  it('lets the sender call only mobiletargeting:SendMessages on that one project\'s messages ARN', () => {
    const found = pinpointStatements(fromParameter);
    expect(found).toHaveLength(1);
    expect(found[0]!.roles).toEqual([{ Ref: logicalId(fromParameter.stack.delivery.sender.role) }]);
    expect(found[0]!.statement).toMatchObject({ Effect: 'Allow', Action: 'mobiletargeting:SendMessages' });
    expect(resourcesOf(found[0]!.statement)).toEqual([messagesArnForParameter]);
  });

  it('uses config.channels.pinpoint.applicationId as given, with no parameter', () => {
    expect(fromConfig.template.toJSON().Parameters?.[PINPOINT_APPLICATION_ID_PARAMETER]).toBeUndefined();
    const found = pinpointStatements(fromConfig);
    expect(found).toHaveLength(1);
    expect(resourcesOf(found[0]!.statement)).toEqual([messagesArnForLiteral]);
    const sender = fromConfig.template.toJSON().Resources[logicalId(fromConfig.stack.delivery.sender.function)];
    expect(sender.Properties.Environment.Variables.PINPOINT_APPLICATION_ID).toBe(APP_ID);
  });

  it('fails synth naming channels.pinpoint.applicationId when it is not a project id', () => {
    expect(() => synthRewake({ channels: { pinpoint: { applicationId: 'my-project' } } })).toThrow(
      /channels\.pinpoint\.applicationId/,
    );
  });
});
