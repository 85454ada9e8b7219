import { readFileSync } from 'node:fs';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import type { RewakeFunction } from '../../infra/aws/constructs/rewake-function';
import { handlerEntry, type Stage } from '../../infra/aws/paths';
import { CONFIG_ENV, parseConfig } from '../../shared/config';
import { ENV } from '../../shared/env';
import { TABLES } from '../../shared/store/tables';
import { actionsOf, logicalId, ref, statementsOfRole, statementsOn, synthRewake, type Statement } from './helpers';

const { stack, template, config } = synthRewake();
type Name = 'ingest' | 'profiles' | 'fit' | 'scan' | 'sender' | 'report' | 'recommend';
const functions: Record<Name, RewakeFunction> = {
  ingest: stack.ingestApi.ingest,
  profiles: stack.profileRefresh.refresher,
  fit: stack.scheduledFit.fit,
  scan: stack.scheduledScan.scan,
  sender: stack.delivery.sender,
  report: stack.report.report,
  recommend: stack.recommendations.train,
};
const STAGE: Record<Name, Stage> = { ingest: 'ingest', profiles: 'profiles', fit: 'fit', scan: 'scan', sender: 'send', report: 'report', recommend: 'recommend' };
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const propsOf = (fn: RewakeFunction) => resources[logicalId(fn.function)]!.Properties;
const envOf = (fn: RewakeFunction) => propsOf(fn).Environment.Variables as Record<string, unknown>;
const statementsOf = (fn: RewakeFunction): Statement[] => statementsOfRole(template, logicalId(fn.role));
const actionsOn = (fn: RewakeFunction, resource: IConstruct): string[] =>
  statementsOn(statementsOf(fn), logicalId(resource)).flatMap(actionsOf).sort();

const COMMON_ENV = [CONFIG_ENV, 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'NODE_OPTIONS'];
const ENV_NAMES: Record<string, string> = ENV;

/**
 * The variables a handler reads with requireEnv(ENV.x): what it needs, straight from its source and
 * the modules it imports from its own folder (functions/report/produce.ts, say).
 */
function requiredEnv(stage: Stage): string[] {
  const entry = readFileSync(handlerEntry(stage), 'utf8');
  const siblings = [...entry.matchAll(/from '\.\/([\w-]+)'/g)].map((m) => readFileSync(handlerEntry(stage, `${m[1]}.ts`), 'utf8'));
  const source = [entry, ...siblings].join('\n');
  return [...new Set([...source.matchAll(/requireEnv\(ENV\.(\w+)[,)]/g)].map((m) => ENV_NAMES[m[1]!]!))].sort();
}

const ddb = (...actions: string[]) => actions.map((a) => `dynamodb:${a}`).sort();
/** Exactly the DynamoDB calls each handler's stores make on each table (shared/store/*). */
const TABLE_ACTIONS: Record<Name, Record<'events' | 'profiles' | 'sends' | 'models', string[]>> = {
  ingest: {
    events: ddb('BatchGetItem', 'BatchWriteItem', 'Query'),
    profiles: ddb('GetItem', 'PutItem', 'DeleteItem'),
    sends: ddb('Query', 'PutItem', 'BatchWriteItem'),
    models: [],
  },
  profiles: { events: ddb('Query'), profiles: ddb('PutItem'), sends: [], models: [] },
  fit: { events: [], profiles: ddb('Scan'), sends: [], models: ddb('PutItem') },
  scan: { events: [], profiles: ddb('Scan'), sends: ddb('Query', 'PutItem', 'UpdateItem'), models: ddb('Query') },
  // The sender also records provider OPT_OUT / PERMANENT_FAILURE as profile events, as ingest writes them.
  sender: { events: ddb('BatchGetItem', 'BatchWriteItem', 'Query'), profiles: ddb('GetItem', 'PutItem'), sends: ddb('Query', 'PutItem', 'UpdateItem'), models: ddb('BatchGetItem', 'Query') },
  report: { events: ddb('Query'), profiles: ddb('Scan'), sends: ddb('Scan'), models: [] },
  recommend: { events: ddb('Scan'), profiles: [], sends: [], models: ddb('BatchGetItem', 'BatchWriteItem', 'DeleteItem', 'PutItem', 'Query') },
};
const CONSUME = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];

describe('Lambda functions', () => {
  it('runs the seven pipeline and batch handlers and the report reader, and nothing else, as Lambda functions', () => {
    template.resourceCountIs('AWS::Lambda::Function', 8);
    for (const fn of Object.values(functions)) expect(propsOf(fn).Handler).toBe('index.handler');
  });

  it('runs every function on nodejs24.x on ARM', () => {
    template.allResourcesProperties('AWS::Lambda::Function', { Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('sizes the scan and the fit for long runs and keeps the request path and the queue consumers quick', () => {
    expect(propsOf(functions.scan).Timeout).toBe(900);
    expect(propsOf(functions.fit).Timeout).toBe(900);
    expect(propsOf(functions.fit).MemorySize).toBeGreaterThanOrEqual(1024);
    expect(propsOf(functions.fit).MemorySize).toBeLessThanOrEqual(2048);
    expect(propsOf(functions.ingest).Timeout).toBeLessThan(29);
    expect(propsOf(functions.sender).Timeout * 6).toBeLessThanOrEqual(config.queue.visibilityTimeoutSeconds);
    const refreshQueue = resources[logicalId(stack.profileRefresh.queue)]!.Properties;
    expect(propsOf(functions.profiles).Timeout * 6).toBeLessThanOrEqual(refreshQueue.VisibilityTimeout);
  });

  it('sends each function\'s JSON logs to its own log group, kept for one month', () => {
    const groups = new Set<string>();
    for (const fn of Object.values(functions)) {
      expect(propsOf(fn).LoggingConfig).toEqual({ LogFormat: 'JSON', LogGroup: ref(fn.logGroup) });
      expect(resources[logicalId(fn.logGroup)]!.Properties.RetentionInDays).toBe(30);
      groups.add(logicalId(fn.logGroup));
    }
    expect(groups.size).toBe(Object.keys(functions).length);
  });

  it('hands every function the validated config (as overrides of the defaults) and the common variables', () => {
    for (const fn of Object.values(functions)) {
      expect(parseConfig(JSON.parse(String(envOf(fn)[CONFIG_ENV])))).toEqual(config);
      expect(envOf(fn)).toMatchObject({
        POWERTOOLS_SERVICE_NAME: 'rewake',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('gives each function exactly the variables its handler requires (requireEnv in its source), no more', () => {
    expect(requiredEnv('ingest')).toEqual([ENV.eventsTable, ENV.profileRefreshQueueUrl, ENV.profilesTable, ENV.sendsTable].sort());
    for (const [name, fn] of Object.entries(functions) as [Name, RewakeFunction][]) {
      const own = Object.keys(envOf(fn)).filter((k) => !COMMON_ENV.includes(k)).sort();
      expect(own, name).toEqual(requiredEnv(STAGE[name]));
    }
  });

  it('names each table by its shared/env.ts variable, for the functions that use it', () => {
    for (const fn of Object.values(functions)) {
      for (const definition of TABLES) {
        const table = stack.tables.all.find((t) => t.definition.id === definition.id)!.table;
        if (definition.envVar in envOf(fn)) expect(envOf(fn)[definition.envVar]).toEqual(ref(table));
      }
    }
  });

  it('gives the queue URLs to their producers, the Pinpoint id only to the sender', () => {
    expect(envOf(functions.ingest)[ENV.profileRefreshQueueUrl]).toEqual(ref(stack.profileRefresh.queue));
    expect(envOf(functions.scan)[ENV.candidatesQueueUrl]).toEqual(ref(stack.delivery.queue));
    expect(envOf(functions.sender)[ENV.candidatesQueueUrl]).toEqual(ref(stack.delivery.queue));
    expect(envOf(functions.sender)[ENV.pinpointApplicationId]).toEqual({ Ref: 'PinpointApplicationId' });
    for (const name of ['ingest', 'profiles', 'fit', 'scan'] as const) {
      expect(envOf(functions[name])).not.toHaveProperty(ENV.pinpointApplicationId);
    }
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

  it('grants each function exactly the DynamoDB calls its handler makes, table by table', () => {
    for (const [name, fn] of Object.entries(functions) as [Name, RewakeFunction][]) {
      for (const table of ['events', 'profiles', 'sends', 'models'] as const) {
        expect(actionsOn(fn, stack.tables[table]), `${name} on ${table}`).toEqual(TABLE_ACTIONS[name][table]);
      }
    }
  });

  it('lets ingest erase a user everywhere (DELETE /v1/users/{userId}) but never touch the models', () => {
    expect(actionsOn(functions.ingest, stack.tables.events)).toContain('dynamodb:BatchWriteItem');
    expect(actionsOn(functions.ingest, stack.tables.profiles)).toContain('dynamodb:DeleteItem');
    expect(actionsOn(functions.ingest, stack.tables.sends)).toContain('dynamodb:BatchWriteItem');
    expect(actionsOn(functions.ingest, stack.tables.models)).toEqual([]);
  });

  it('keeps the profiles function off the sends ledger and the models, and read-only on events', () => {
    expect(actionsOn(functions.profiles, stack.tables.sends)).toEqual([]);
    expect(actionsOn(functions.profiles, stack.tables.models)).toEqual([]);
    expect(actionsOn(functions.profiles, stack.tables.events)).toEqual(['dynamodb:Query']);
  });

  it('keeps the fit off events and sends, and read-only on profiles', () => {
    expect(actionsOn(functions.fit, stack.tables.events)).toEqual([]);
    expect(actionsOn(functions.fit, stack.tables.sends)).toEqual([]);
    expect(actionsOn(functions.fit, stack.tables.profiles)).toEqual(['dynamodb:Scan']);
  });

  it('lets the scan and the sender never delete from the ledger; only the sender writes events, as ingest does, for provider opt-outs', () => {
    for (const fn of [functions.scan, functions.sender]) {
      expect(actionsOn(fn, stack.tables.sends).filter((a) => /Delete|BatchWrite/.test(a))).toEqual([]);
    }
    expect(actionsOn(functions.scan, stack.tables.events)).toEqual([]);
    expect(actionsOn(functions.sender, stack.tables.events)).toEqual(ddb('BatchGetItem', 'BatchWriteItem', 'Query'));
  });

  it('lets each producer only send to its queue, and each consumer consume its own', () => {
    expect(actionsOn(functions.ingest, stack.profileRefresh.queue)).toEqual(['sqs:SendMessage']);
    expect(actionsOn(functions.ingest, stack.delivery.queue)).toEqual([]);
    expect(actionsOn(functions.profiles, stack.profileRefresh.queue)).toEqual(CONSUME);
    expect(actionsOn(functions.scan, stack.delivery.queue)).toEqual(['sqs:SendMessage']);
    expect(actionsOn(functions.scan, stack.profileRefresh.queue)).toEqual([]);
    // Quiet-hours deferrals go back on the queue (CandidateQueue.defer).
    expect(actionsOn(functions.sender, stack.delivery.queue)).toEqual([...CONSUME, 'sqs:SendMessage'].sort());
    expect(actionsOn(functions.fit, stack.delivery.queue)).toEqual([]);
    expect(actionsOn(functions.fit, stack.profileRefresh.queue)).toEqual([]);
  });

  it('grants no function a wildcard resource', () => {
    for (const fn of Object.values(functions)) {
      for (const statement of statementsOf(fn)) expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
    }
  });
});
