import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { RewakeFunction } from '../../infra/aws/constructs/rewake-function';
import { CONFIG_ENV } from '../../shared/config';
import { ENV } from '../../shared/env';
import { TABLES } from '../../shared/store/tables';
import { actionsOf, logicalId, ref, statementsOfRole, statementsOn, synthRewake, type Statement } from './helpers';

const { stack, template, config } = synthRewake();
const functions: Record<'ingest' | 'scan' | 'sender', RewakeFunction> = {
  ingest: stack.ingestApi.ingest,
  scan: stack.scheduledScan.scan,
  sender: stack.delivery.sender,
};
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const propsOf = (fn: RewakeFunction) => resources[logicalId(fn.function)]!.Properties;
const envOf = (fn: RewakeFunction) => propsOf(fn).Environment.Variables as Record<string, unknown>;
const statementsOf = (fn: RewakeFunction): Statement[] => statementsOfRole(template, logicalId(fn.role));
const actionsOn = (fn: RewakeFunction, resource: IConstruct): string[] =>
  statementsOn(statementsOf(fn), logicalId(resource)).flatMap(actionsOf).sort();

const READS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:BatchGetItem'];
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

describe('Lambda functions', () => {
  it('runs the three handlers, and nothing else, as Lambda functions', () => {
    template.resourceCountIs('AWS::Lambda::Function', 3);
    expect(propsOf(functions.ingest).Handler).toBe('index.handler');
  });

  it('runs every function on nodejs24.x on ARM', () => {
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('sizes the scan for a long streaming run and keeps the request path quick', () => {
    expect(propsOf(functions.scan).Timeout).toBe(900);
    expect(propsOf(functions.ingest).Timeout).toBeLessThan(29);
    expect(propsOf(functions.sender).Timeout * 6).toBeLessThanOrEqual(config.queue.visibilityTimeoutSeconds);
  });

  it('sends each function\'s JSON logs to its own log group, kept for one month', () => {
    for (const fn of Object.values(functions)) {
      expect(propsOf(fn).LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: ref(fn.logGroup) });
      expect(resources[logicalId(fn.logGroup)]!.Properties.RetentionInDays).toBe(30);
    }
  });

  it('hands every function the validated config and the common variables', () => {
    for (const fn of Object.values(functions)) {
      expect(envOf(fn)).toMatchObject({
        [CONFIG_ENV]: JSON.stringify(config),
        POWERTOOLS_SERVICE_NAME: 'rewake',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('tells every function the names of the three tables under their shared/env.ts names', () => {
    for (const fn of Object.values(functions)) {
      for (const definition of TABLES) {
        const table = stack.tables.all.find((t) => t.definition.id === definition.id)!.table;
        expect(envOf(fn)[definition.envVar]).toEqual(ref(table));
      }
    }
  });

  it('gives the queue URL to the scan and the sender (quiet-hours deferrals), the Pinpoint id only to the sender', () => {
    expect(envOf(functions.scan)[ENV.candidatesQueueUrl]).toEqual(ref(stack.delivery.queue));
    expect(envOf(functions.sender)[ENV.candidatesQueueUrl]).toEqual(ref(stack.delivery.queue));
    expect(envOf(functions.sender)[ENV.pinpointApplicationId]).toEqual({ Ref: 'PinpointApplicationId' });
    expect(envOf(functions.ingest)).not.toHaveProperty(ENV.candidatesQueueUrl);
    expect(envOf(functions.ingest)).not.toHaveProperty(ENV.pinpointApplicationId);
    expect(envOf(functions.scan)).not.toHaveProperty(ENV.pinpointApplicationId);
  });

  it('lets each function write only to its own log group, with no managed policies', () => {
    for (const fn of Object.values(functions)) {
      const role = resources[logicalId(fn.role)]!.Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      const logStatements = statementsOf(fn).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logStatements).toEqual([
        expect.objectContaining({
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: { 'Fn::GetAtt': [logicalId(fn.logGroup), 'Arn'] },
        }),
      ]);
    }
  });

  it('lets ingest read and write events, profiles and sends (a user deletion erases the ledger too)', () => {
    for (const table of [stack.tables.events, stack.tables.profiles, stack.tables.sends]) {
      expect(actionsOn(functions.ingest, table)).toEqual(expect.arrayContaining([...READS, ...WRITES]));
    }
  });

  it('lets the scan read profiles, read and claim entries in sends, never touch events, and only send to the queue', () => {
    const onProfiles = actionsOn(functions.scan, stack.tables.profiles);
    expect(onProfiles).toEqual(expect.arrayContaining(READS));
    expect(onProfiles.filter((a) => WRITES.includes(a))).toEqual([]);
    const onSends = actionsOn(functions.scan, stack.tables.sends);
    expect(onSends).toEqual(expect.arrayContaining([...READS, 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(onSends).not.toContain('dynamodb:DeleteItem');
    expect(onSends).not.toContain('dynamodb:BatchWriteItem');
    expect(actionsOn(functions.scan, stack.tables.events)).toEqual([]);
    const onQueue = actionsOn(functions.scan, stack.delivery.queue);
    expect(onQueue).toContain('sqs:SendMessage');
    expect(onQueue.filter((a) => /Receive|Delete/.test(a))).toEqual([]);
  });

  it('lets the sender read and write sends, only read profiles, never touch events, and consume and re-queue candidates', () => {
    expect(actionsOn(functions.sender, stack.tables.sends)).toEqual(expect.arrayContaining([...READS, ...WRITES]));
    const onProfiles = actionsOn(functions.sender, stack.tables.profiles);
    expect(onProfiles).toEqual(expect.arrayContaining(READS));
    expect(onProfiles.filter((a) => WRITES.includes(a))).toEqual([]);
    expect(actionsOn(functions.sender, stack.tables.events)).toEqual([]);
    expect(actionsOn(functions.sender, stack.delivery.queue)).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:SendMessage']),
    );
  });

  it('grants no function a wildcard resource', () => {
    for (const fn of Object.values(functions)) {
      for (const statement of statementsOf(fn)) expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
    }
  });
});
