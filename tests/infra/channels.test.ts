import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { AlarmTopic } from '../../infra/aws/constructs/alarm-topic';
import { ChannelSecrets } from '../../infra/aws/constructs/channel-secrets';
import { DeliveryQueue, sesSender, smsOriginationArn } from '../../infra/aws/constructs/delivery-queue';
import type { RewakeFunction } from '../../infra/aws/constructs/rewake-function';
import { Tables } from '../../infra/aws/constructs/tables';
import { parseConfig, CONFIG_ENV, type RewakeConfigInput } from '../../shared/config';
import { ENV } from '../../shared/env';
import { ConfigError } from '../../shared/errors';
import { actionsOf, arnOf, FAST_APP_PROPS, logicalId, ref, resourcesOf, statementsOfRole, statementsOn, synthRewake, type Statement } from './helpers';

/** Kept short: the whole config travels in a 3 KB environment variable (MAX_CONFIG_ENV_BYTES). */
const CHANNELS = {
  ses: { fromAddress: 'Shop <hi@shop.example>', unsubscribeBaseUrl: 'https://api.shop.example/v1/unsubscribe' },
  sms: { originationIdentity: 'pool-0123456789abcdef' },
  webhook: { url: 'https://gw.example.cn/send' },
} satisfies RewakeConfigInput['channels'];

const { stack, template } = synthRewake({ channels: CHANNELS });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const sender = stack.delivery.sender;
const feedback = stack.channelFeedback!;
const unsubscribe = stack.unsubscribe!;
const secrets = stack.channelSecrets;

const propsOf = (fn: RewakeFunction) => resources[logicalId(fn.function)]!.Properties;
const envOf = (fn: RewakeFunction) => propsOf(fn).Environment.Variables as Record<string, unknown>;
const statementsOf = (fn: RewakeFunction, t = template): Statement[] => statementsOfRole(t, logicalId(fn.role));
const bySid = (fn: RewakeFunction, sid: string, t = template) => statementsOf(fn, t).find((s) => s.Sid === sid);
const actionsOn = (fn: RewakeFunction, resourceLogicalId: string) => statementsOn(statementsOf(fn), resourceLogicalId).flatMap(actionsOf).sort();
const json = (value: unknown) => JSON.stringify(value);
const ddb = (...actions: string[]) => actions.map((a) => `dynamodb:${a}`).sort();

describe('deployable channels: SES, End User Messaging SMS, webhook', () => {
  it('synthesizes with all three configured (it used to refuse them)', () => {
    expect(stack.channelFeedback).toBeDefined();
    expect(stack.unsubscribe).toBeDefined();
    template.resourceCountIs('AWS::Lambda::Function', 10); // the default eight, unsubscribe and feedback
  });

  it('lets the sender send email only from the configured address, through the configuration set that reports bounces', () => {
    const statement = bySid(sender, 'SendEmailFromOneAddress')!;
    const created = template.toJSON().Resources[logicalId(feedback.node.findChild('EmailConfigurationSet'))];

    expect(actionsOf(statement)).toEqual(['ses:SendEmail']);
    expect(created.Type).toBe('AWS::SES::ConfigurationSet');
    const targets = resourcesOf(statement).map(json);
    expect(targets).toHaveLength(3);
    expect(targets[0]).toContain(':identity/shop.example"');
    expect(targets[1]).toContain(':identity/hi@shop.example"');
    expect(targets[2]).toContain(':configuration-set/"');
    expect(targets[2]).toContain(json(ref(feedback.node.findChild('EmailConfigurationSet'))));
    expect(statement).toMatchObject({ Condition: { StringEquals: { 'ses:FromAddress': 'hi@shop.example' } } });
  });

  it('lets the sender send SMS only from the configured pool, through the configuration set that reports events', () => {
    const statement = bySid(sender, 'SendTextFromOneOriginationIdentity')!;

    expect(actionsOf(statement)).toEqual(['sms-voice:SendTextMessage']);
    const targets = resourcesOf(statement).map(json);
    expect(targets[0]).toContain(':pool/pool-0123456789abcdef"');
    expect(targets[1]).toContain(json(ref(feedback.node.findChild('SmsConfigurationSet'))));
  });

  it('sends through the stack\'s configuration sets: their names are filled into the sender\'s config, and only the sender\'s', () => {
    const senderConfig = json(envOf(sender)[CONFIG_ENV]);

    expect(senderConfig).toContain(json(ref(feedback.node.findChild('EmailConfigurationSet'))));
    expect(senderConfig).toContain(json(ref(feedback.node.findChild('SmsConfigurationSet'))));
    expect(parseConfig(JSON.parse(String(envOf(stack.ingestApi.ingest)[CONFIG_ENV])))).toEqual(parseConfig({ channels: CHANNELS }));
  });

  it('generates the two HMAC keys in Secrets Manager, kept when the stack goes, and gives functions their ARNs, never values', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    template.allResourcesProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false },
    });
    for (const secret of Object.values(template.findResources('AWS::SecretsManager::Secret'))) expect(secret.DeletionPolicy).toBe('Retain');
    const unsubscribeKey = logicalId(secrets.unsubscribe!.secret);
    const webhookKey = logicalId(secrets.webhook!.secret);

    expect(envOf(sender)).toMatchObject({ REWAKE_UNSUBSCRIBE_SECRET_ARN: { Ref: unsubscribeKey }, REWAKE_WEBHOOK_SECRET_ARN: { Ref: webhookKey } });
    expect(envOf(sender)).not.toHaveProperty('REWAKE_UNSUBSCRIBE_SECRET');
    expect(envOf(sender)).not.toHaveProperty('REWAKE_WEBHOOK_SECRET');
    expect(actionsOn(sender, unsubscribeKey)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(actionsOn(sender, webhookKey)).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    // The unsubscribe key also checks links and bounce headers; nobody else gets the webhook key.
    expect(envOf(unsubscribe.handler)).toMatchObject({ REWAKE_UNSUBSCRIBE_SECRET_ARN: { Ref: unsubscribeKey } });
    expect(envOf(feedback.handler)).toMatchObject({ REWAKE_UNSUBSCRIBE_SECRET_ARN: { Ref: unsubscribeKey } });
    expect(actionsOn(unsubscribe.handler, webhookKey)).toEqual([]);
    expect(actionsOn(feedback.handler, webhookKey)).toEqual([]);
  });

  it('warns at synth when the unsubscribe links would lead somewhere other than this endpoint', () => {
    const elsewhere = synthRewake({ channels: { ses: { ...CHANNELS.ses, unsubscribeBaseUrl: 'https://shop.example/optout' } } });

    Annotations.fromStack(elsewhere.stack).hasWarning('*', Match.stringLikeRegexp('unsubscribeBaseUrl .*does not end in /v1/unsubscribe'));
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('unsubscribeBaseUrl'));
  });

  it('outputs where unsubscribe links must lead, the feedback topic for two-way SMS, and the webhook key to share', () => {
    const outputs = template.toJSON().Outputs;

    expect(json(outputs.UnsubscribeUrl.Value)).toContain('v1/unsubscribe');
    expect(outputs.FeedbackTopicArn.Value).toEqual(ref(feedback.topic));
    expect(outputs.WebhookSecretArn.Value).toEqual(ref(secrets.webhook!.secret));
  });
});

describe('the unsubscribe endpoint', () => {
  const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => m.Properties);
  const unsubscribeMethods = methods.filter((m) => json(m.Integration.Uri).includes(json(arnOf(unsubscribe.handler.function))));

  it('serves GET and POST /v1/unsubscribe from its own function, without an API key, and leaves ingest behind the key', () => {
    expect(unsubscribeMethods.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'POST']);
    for (const method of unsubscribeMethods) {
      expect(method.ApiKeyRequired).toBe(false);
      expect(method.Integration.Type).toBe('AWS_PROXY');
      expect(resources[method.ResourceId.Ref]!.Properties.PathPart).toBe('unsubscribe');
    }
    const keyedMethods = methods.filter((m) => !unsubscribeMethods.includes(m));
    expect(keyedMethods).toHaveLength(4); // ingest's three and GET /v1/reports/latest
    for (const method of keyedMethods) expect(method.ApiKeyRequired).toBe(true);
  });

  it('throttles both methods on their own at the stage, keeping the stage-wide settings', () => {
    const stage = resources[logicalId(stack.ingestApi.api.deploymentStage)]!.Properties;

    expect(stage.MethodSettings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ResourcePath: '/*', HttpMethod: '*', ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 }),
        expect.objectContaining({ ResourcePath: '/~1v1~1unsubscribe', HttpMethod: 'GET', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, DataTraceEnabled: false }),
        expect.objectContaining({ ResourcePath: '/~1v1~1unsubscribe', HttpMethod: 'POST', ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, DataTraceEnabled: false }),
      ]),
    );
  });

  it('may write a profile event and fold it, read the deletion marker, and nothing more', () => {
    const tables = stack.tables;

    expect(actionsOn(unsubscribe.handler, logicalId(tables.events))).toEqual(ddb('BatchGetItem', 'BatchWriteItem', 'Query'));
    expect(actionsOn(unsubscribe.handler, logicalId(tables.profiles))).toEqual(ddb('GetItem', 'PutItem'));
    expect(actionsOn(unsubscribe.handler, logicalId(tables.sends))).toEqual(ddb('Query'));
    expect(actionsOn(unsubscribe.handler, logicalId(tables.models))).toEqual([]);
    expect(Object.keys(envOf(unsubscribe.handler))).toEqual(
      expect.arrayContaining([ENV.eventsTable, ENV.profilesTable, ENV.sendsTable, 'REWAKE_UNSUBSCRIBE_SECRET_ARN']),
    );
  });
});

describe('provider feedback', () => {
  it('publishes SES and End User Messaging feedback to a topic encrypted with a key those two services may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(feedback.key) });
    const key = resources[logicalId(feedback.key)]!.Properties;
    const grant = key.KeyPolicy.Statement.find((s: { Sid?: string }) => s.Sid === 'AllowMessagingServicesToPublish');

    expect(key.EnableKeyRotation).toBe(true);
    expect(grant.Principal.Service.sort()).toEqual(['ses.amazonaws.com', 'sms-voice.amazonaws.com']);
    expect(grant.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it('lets SES publish only for its configuration set, End User Messaging only from this account, and nobody without TLS', () => {
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy')).find((p) => json(p.Properties.Topics) === json([ref(feedback.topic)]))!;
    const statements = policy.Properties.PolicyDocument.Statement as { Effect: string; Principal: any; Condition: any }[];

    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const ses = statements.find((s) => s.Principal?.Service === 'ses.amazonaws.com')!;
    expect(json(ses.Condition.StringEquals['AWS:SourceArn'])).toContain(json(ref(feedback.node.findChild('EmailConfigurationSet'))));
    const sms = statements.find((s) => s.Principal?.Service === 'sms-voice.amazonaws.com')!;
    expect(sms.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it('routes bounces and complaints, and the SMS events it uses, to the topic', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: ref(feedback.node.findChild('EmailConfigurationSet')),
      EventDestination: { Enabled: true, MatchingEventTypes: ['bounce', 'complaint'], SnsDestination: { TopicARN: ref(feedback.topic) } },
    });
    template.hasResourceProperties('AWS::SMSVOICE::ConfigurationSet', {
      EventDestinations: [
        { Enabled: true, MatchingEventTypes: ['TEXT_SUCCESSFUL', 'TEXT_DELIVERED', 'TEXT_INVALID'], SnsDestination: { TopicArn: ref(feedback.topic) } },
      ],
    });
  });

  it('queues the feedback raw, with a dead-letter queue that alarms, for a function that reports per-record failures', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: true, TopicArn: ref(feedback.topic), Endpoint: arnOf(feedback.queue) });
    const queue = resources[logicalId(feedback.queue)]!.Properties;
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(feedback.deadLetterQueue), maxReceiveCount: 5 });
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * propsOf(feedback.handler).Timeout);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(feedback.deadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(feedback.queue),
      FunctionName: ref(feedback.handler.function),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('may write profile events and the SMS recipient index, fold, and read the deletion marker, nothing more', () => {
    const tables = stack.tables;

    expect(actionsOn(feedback.handler, logicalId(tables.events))).toEqual(ddb('BatchGetItem', 'BatchWriteItem', 'PutItem', 'Query'));
    expect(actionsOn(feedback.handler, logicalId(tables.profiles))).toEqual(ddb('GetItem', 'PutItem'));
    expect(actionsOn(feedback.handler, logicalId(tables.sends))).toEqual(ddb('Query'));
  });
});

describe('configuration sets and secrets the operator already has', () => {
  const named = synthRewake({
    channels: {
      ses: { ...CHANNELS.ses, configurationSet: 'shop-mail', unsubscribeSecretName: 'rewake/unsub' },
      sms: { originationIdentity: 'ShopSender', configurationSet: 'shop-sms' },
    },
  });
  const namedSender = named.stack.delivery.sender;

  it('adds the bounce destination to the named SES configuration set instead of creating one', () => {
    named.template.resourceCountIs('AWS::SES::ConfigurationSet', 0);
    named.template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', { ConfigurationSetName: 'shop-mail' });
    expect(json(resourcesOf(bySid(namedSender, 'SendEmailFromOneAddress', named.template)!))).toContain(':configuration-set/shop-mail"');
  });

  it('cannot wire a named End User Messaging configuration set, and says so at synth', () => {
    named.template.resourceCountIs('AWS::SMSVOICE::ConfigurationSet', 0);
    Annotations.fromStack(named.stack).hasWarning('*', Match.stringLikeRegexp("channels.sms.configurationSet 'shop-sms'.*FeedbackTopicArn"));
    const targets = resourcesOf(bySid(namedSender, 'SendTextFromOneOriginationIdentity', named.template)!).map(json);
    expect(targets[0]).toContain(':sender-id/ShopSender/*"');
    expect(targets[1]).toContain(':configuration-set/shop-sms"');
  });

  it('imports a secret named in config instead of generating one', () => {
    named.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(json(named.template.toJSON().Resources[logicalId(namedSender.function)].Properties.Environment.Variables.REWAKE_UNSUBSCRIBE_SECRET_ARN)).toContain(':secret:rewake/unsub');
  });
});

describe('channel config the stack cannot grant', () => {
  it('asks for the phone number id, not the number, since the grant names the number by its ARN', () => {
    const synth = () => synthRewake({ channels: { sms: { originationIdentity: '+12065550152' } } });

    expect(synth).toThrow(ConfigError);
    expect(synth).toThrow(/channels\.sms\.originationIdentity: give the phone number's id/);
  });

  it('reads the SES address and domain from the from address, with or without a display name', () => {
    expect(sesSender('"Rewake Shop" <Hello@Shop.Example>')).toEqual({ address: 'Hello@Shop.Example', domain: 'shop.example' });
    expect(sesSender('hi@shop.example')).toEqual({ address: 'hi@shop.example', domain: 'shop.example' });
    expect(() => sesSender('Rewake Shop')).toThrow(/channels\.ses\.fromAddress/);
  });

  it('uses an origination ARN as given, and builds phone number and pool ARNs from their ids', () => {
    const scope = new Stack(new App(FAST_APP_PROPS), 'Arns', { env: { account: '123456789012', region: 'ap-northeast-1' } });

    const resolved = (identity: string) => json(scope.resolve(smsOriginationArn(scope, identity)));

    expect(smsOriginationArn(scope, 'arn:aws:sms-voice:us-east-1:123456789012:pool/pool-1a')).toBe('arn:aws:sms-voice:us-east-1:123456789012:pool/pool-1a');
    expect(resolved('phone-0a1b')).toContain(':sms-voice:ap-northeast-1:123456789012:phone-number/phone-0a1b"');
    expect(resolved('pool-0a1b')).toContain(':sms-voice:ap-northeast-1:123456789012:pool/pool-0a1b"');
  });
});

describe('the default stack (Pinpoint only)', () => {
  const plain = synthRewake();

  it('has no channel secrets, feedback or unsubscribe endpoint, and grants the sender nothing beyond Pinpoint', () => {
    plain.template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    plain.template.resourceCountIs('AWS::SNS::Topic', 1); // the alarm topic
    expect(plain.stack.channelFeedback).toBeUndefined();
    expect(plain.stack.unsubscribe).toBeUndefined();
    const actions = statementsOf(plain.stack.delivery.sender, plain.template).flatMap(actionsOf);
    expect(actions.filter((a) => /^(ses|sms-voice|secretsmanager):/.test(a))).toEqual([]);
  });
});

describe('provider outcomes recorded by the sender', () => {
  it('gives the sender the events table and the fold only when the sender records them', () => {
    const build = (recordProviderOutcomes: boolean) => {
      const stack = new Stack(new App(FAST_APP_PROPS), 'Outcomes');
      const config = parseConfig({});
      const tables = new Tables(stack, 'Tables');
      const delivery = new DeliveryQueue(stack, 'Delivery', {
        config,
        tables,
        alarms: new AlarmTopic(stack, 'Alarms'),
        pinpointApplicationId: '0123456789abcdef0123456789abcdef',
        secrets: new ChannelSecrets(stack, 'Secrets', { config }),
        recordProviderOutcomes,
      });
      const template = Template.fromStack(stack);
      const on = (table: Tables['events']) => statementsOn(statementsOfRole(template, logicalId(delivery.sender.role)), logicalId(table)).flatMap(actionsOf).sort();
      const env = template.toJSON().Resources[logicalId(delivery.sender.function)].Properties.Environment.Variables;
      return { events: on(tables.events), profiles: on(tables.profiles), env };
    };

    const on = build(true);
    const off = build(false);

    expect(on.events).toEqual(ddb('BatchGetItem', 'BatchWriteItem', 'Query'));
    expect(on.profiles).toEqual(ddb('GetItem', 'PutItem'));
    expect(on.env).toHaveProperty(ENV.eventsTable);
    expect(off.events).toEqual([]);
    expect(off.profiles).toEqual(ddb('GetItem'));
    expect(off.env).not.toHaveProperty(ENV.eventsTable);
  });
});
