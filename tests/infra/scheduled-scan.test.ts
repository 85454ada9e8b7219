import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { AlarmTopic } from '../../infra/aws/constructs/alarm-topic';
import { LAMBDA_TRANSIENT_ERRORS, SCAN_PHASES, ScheduledScan } from '../../infra/aws/constructs/scheduled-scan';
import { Tables } from '../../infra/aws/constructs/tables';
import { parseConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';
import { FAST_APP_PROPS, arnOf, logicalId, ref, statementsOfRole, synthRewake } from './helpers';

const { stack, template } = synthRewake();
const { scheduledScan } = stack;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const scanArn = arnOf(scheduledScan.scan.function);

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: unknown;
  Parameters?: Record<string, unknown>;
  ResultPath?: string;
  ItemsPath?: string;
  ItemSelector?: Record<string, unknown>;
  MaxConcurrency?: number;
  ItemProcessor?: { StartAt: string; States: Record<string, State> };
  Retry?: Array<{ ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }>;
}

/** The state machine's definition, with each Fn::GetAtt of the scan function as "<scan>". */
function definition(): { StartAt: string; TimeoutSeconds?: number; States: Record<string, State> } {
  const sm = resources[logicalId(scheduledScan.stateMachine)]!;
  const parts = sm.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      expect(p).toEqual(scanArn); // the only thing the definition refers to
      return '<scan>';
    })
    .join('');
  return JSON.parse(text);
}
const def = definition();

/** The top-level states in execution order. */
function order(): string[] {
  const names = [def.StartAt];
  while (def.States[names.at(-1)!]!.Next) names.push(def.States[names.at(-1)!]!.Next!);
  return names;
}

/** Every Task state, Map item processors included. */
function tasks(states: Record<string, State> = def.States): Array<[string, State]> {
  return Object.entries(states).flatMap(([name, s]) =>
    s.Type === 'Map' ? tasks(s.ItemProcessor!.States) : s.Type === 'Task' ? [[name, s] as [string, State]] : [],
  );
}

const outdir = mkdtempSync(join(tmpdir(), 'rewake-scan-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('scheduled scan', () => {
  it('runs the scan daily at 02:00 Asia/Shanghai by default', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      State: 'ENABLED',
      Target: { Arn: ref(scheduledScan.stateMachine) },
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

  it('starts the scan state machine with {"source":"schedule"}, and no longer invokes the scan function directly', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: { Arn: ref(scheduledScan.stateMachine), Input: '{"source":"schedule"}' },
    });
    const targets = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((s) => JSON.stringify(s.Properties.Target.Arn));
    expect(targets).not.toContain(JSON.stringify(scanArn));
    template.resourcePropertiesCountIs('AWS::Lambda::EventInvokeConfig', { FunctionName: ref(scheduledScan.scan.function) }, 0);
  });

  it('retries a failed start within an hour, then parks it in the failed-runs queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        Arn: ref(scheduledScan.stateMachine),
        DeadLetterConfig: { Arn: arnOf(scheduledScan.failedRunsQueue) },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      },
    });
  });

  it('alarms on the first run that never started', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(scheduledScan.failedRunsQueue), 'QueueName'] } }],
      Threshold: 1,
      AlarmActions: [ref(stack.alarms.topic)],
    });
  });

  it('alarms on the first execution that fails or times out', () => {
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a) =>
      JSON.stringify(a.Properties.Metrics ?? []).includes(logicalId(scheduledScan.stateMachine)),
    );
    expect(alarm?.Properties).toMatchObject({ Threshold: 1, AlarmActions: [ref(stack.alarms.topic)], TreatMissingData: 'notBreaching' });
    const names = (alarm!.Properties.Metrics as Array<{ MetricStat?: { Metric: { MetricName: string } } }>)
      .flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []))
      .sort();
    expect(names).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
  });

  it('lets the scheduler start this one state machine and write to the failed-runs queue, nothing else', () => {
    const roleId = resources[logicalId(scheduledScan.schedule)]!.Properties.Target.RoleArn['Fn::GetAtt'][0];
    expect(resources[roleId]!.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': expect.anything() } },
      }),
    ]);
    const statements = statementsOfRole(template, roleId).map((st) => ({ Action: st.Action, Resource: st.Resource }));
    expect(statements).toEqual([
      { Action: 'states:StartExecution', Resource: ref(scheduledScan.stateMachine) },
      { Action: 'sqs:SendMessage', Resource: arnOf(scheduledScan.failedRunsQueue) },
    ]);
  });
});

describe('scan state machine', () => {
  it('is one standard state machine with a run timeout', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(resources[logicalId(scheduledScan.stateMachine)]!.Properties.StateMachineType).toBe('STANDARD');
    expect(def.TimeoutSeconds).toBe(6 * 3600);
  });

  it('runs plan → sketch (Map) → cuts → enqueue (Map) → summarize', () => {
    expect(order()).toEqual(['Plan', 'Sketch', 'Cuts', 'Enqueue', 'Summarize']);
    expect(def.States.Summarize!.End).toBe(true);
    expect(def.States.Sketch!.Type).toBe('Map');
    expect(def.States.Enqueue!.Type).toBe('Map');
  });

  it('calls the scan function for every phase, with the ScanRequest of that phase', () => {
    const phases = [
      def.States.Plan!.Parameters!.phase,
      def.States.Sketch!.ItemSelector!.phase,
      def.States.Cuts!.Parameters!.phase,
      def.States.Enqueue!.ItemSelector!.phase,
      def.States.Summarize!.Parameters!.phase,
    ];
    expect(phases).toEqual([...SCAN_PHASES]);
    expect(def.States.Plan!.Parameters).toEqual({ phase: 'plan', source: 'schedule', 'now.$': '$$.Execution.StartTime' });
    expect(def.States.Cuts!.Parameters).toEqual({ phase: 'cuts', 'plan.$': '$.plan', 'sketches.$': '$.sketches' });
    expect(def.States.Summarize!.Parameters).toEqual({
      phase: 'summarize',
      'plan.$': '$.plan',
      'cuts.$': '$.cuts',
      'summaries.$': '$.summaries',
    });
    for (const [, task] of tasks()) expect(task.Resource).toBe('<scan>'); // payload only: the function's own ARN
  });

  it('maps over the plan\'s segments, ten at a time, handing each call its segment', () => {
    expect(def.States.Sketch).toMatchObject({
      ItemsPath: '$.plan.segments',
      ItemSelector: { phase: 'sketch', 'plan.$': '$.plan', 'segment.$': '$$.Map.Item.Value' },
      MaxConcurrency: 10,
    });
    expect(def.States.Enqueue).toMatchObject({
      ItemsPath: '$.plan.segments',
      ItemSelector: { phase: 'enqueue', 'plan.$': '$.plan', 'cuts.$': '$.cuts', 'segment.$': '$$.Map.Item.Value' },
      MaxConcurrency: 10,
    });
    // Each iteration passes its item to the function as is, and its result is the iteration's output.
    for (const map of [def.States.Sketch!, def.States.Enqueue!]) {
      const inner = Object.values(map.ItemProcessor!.States);
      expect(inner).toHaveLength(1);
      expect(inner[0]).toMatchObject({ Type: 'Task', End: true });
      expect(inner[0]!.Parameters).toBeUndefined();
      expect(inner[0]!.ResultPath).toBeUndefined();
    }
  });

  it('carries plan, sketches, cuts and summaries in the state, and ends with the summary', () => {
    expect(def.States.Plan!.ResultPath).toBe('$.plan');
    expect(def.States.Sketch!.ResultPath).toBe('$.sketches');
    expect(def.States.Cuts!.ResultPath).toBe('$.cuts');
    expect(def.States.Enqueue!.ResultPath).toBe('$.summaries');
    expect(def.States.Summarize!.ResultPath).toBeUndefined();
  });

  it('retries every call on Lambda service errors and throttling with backoff, then once on its own errors', () => {
    expect(tasks()).toHaveLength(5);
    for (const [name, task] of tasks()) {
      expect(task.Retry, name).toEqual([
        expect.objectContaining({ ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS], BackoffRate: 2, MaxAttempts: 6 }),
        expect.objectContaining({ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 1 }),
      ]);
      expect(task.Retry![0]!.ErrorEquals).toContain('Lambda.TooManyRequestsException');
    }
  });

  it('logs every execution event to its own log group, kept for one month', () => {
    const sm = resources[logicalId(scheduledScan.stateMachine)]!.Properties;
    expect(sm.LoggingConfiguration).toEqual({
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arnOf(scheduledScan.executionLogs) } }],
      IncludeExecutionData: true,
      Level: 'ALL',
    });
    const logs = resources[logicalId(scheduledScan.executionLogs)]!.Properties;
    expect(logs.RetentionInDays).toBe(30);
    expect(logs.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\//);
  });

  it('lets the state machine invoke the scan function and nothing else but its log delivery', () => {
    const statements = statementsOfRole(template, logicalId(scheduledScan.stateMachine.role));
    expect(statements.map((s) => ({ Action: s.Action, Resource: s.Resource }))).toEqual([
      { Action: 'lambda:InvokeFunction', Resource: [scanArn, { 'Fn::Join': ['', [scanArn, ':*']] }] },
      { Action: expect.arrayContaining(['logs:CreateLogDelivery', 'logs:PutResourcePolicy']), Resource: '*' },
    ]);
    expect(statements[1]!.Action).toEqual(expect.not.arrayContaining(['logs:PutLogEvents', 'logs:CreateLogStream']));
  });

  it('warns when schedule.scanSegments may carry more state than Step Functions allows', () => {
    const warnings = (s: typeof stack) =>
      s.scheduledScan.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings(stack)).toEqual([]);
    const { stack: wide, template: wideTemplate } = synthRewake({ schedule: { scanSegments: 64 } });
    expect(warnings(wide)).toEqual([expect.stringMatching(/scanSegments is 64.*256 KB/)]);
    wideTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'STANDARD' });
  });

  it('outputs its ARN for manual runs, in place of the scan function\'s name', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(outputs.ScanStateMachineArn?.Value).toEqual(ref(scheduledScan.stateMachine));
    expect(outputs.ScanStateMachineArn?.Description).toMatch(/aws stepfunctions start-execution --state-machine-arn/);
    expect(outputs.ScanFunctionName).toBeUndefined();
  });

  it('passes cdk-nag with X-Ray tracing on as well', () => {
    const app = new App({ ...FAST_APP_PROPS, outdir });
    const traced = new Stack(app, 'Traced');
    new ScheduledScan(traced, 'ScheduledScan', {
      config: parseConfig({}),
      tables: new Tables(traced, 'Tables'),
      candidatesQueue: new Queue(traced, 'Candidates', {
        enforceSSL: true,
        deadLetterQueue: { queue: new Queue(traced, 'Dlq', { enforceSSL: true }), maxReceiveCount: 3 },
      }),
      alarms: new AlarmTopic(traced, 'Alarms'),
      tracing: true,
    });
    Validations.of(traced).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'test stand-in for the candidates dead-letter queue' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // A finding that is neither fixed nor acknowledged makes synth throw with the report.
    const assembly = app.synth();
    const sm = Object.values(assembly.getStackByName('Traced').template.Resources as Record<string, any>).find(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    expect(sm.Properties.TracingConfiguration).toEqual({ Enabled: true });
  });
});
