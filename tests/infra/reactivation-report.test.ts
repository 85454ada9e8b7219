import { describe, expect, it } from 'vitest';
import { arnOf, actionsOf, logicalId, ref, resourcesOf, statementsOfRole, synthRewake } from './helpers';

const { stack, template, config } = synthRewake();
const { report } = stack;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
const propsOf = (id: string) => resources[id]!.Properties;
const statementsOf = (role: { node: unknown }) => statementsOfRole(template, logicalId(role as never));

describe('reactivation report', () => {
  it('keeps reports in a private, encrypted, TLS-only bucket that outlives the stack', () => {
    const bucket = resources[logicalId(report.bucket)]!;
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
    expect((bucket as unknown as { DeletionPolicy: string }).DeletionPolicy).toBe('Retain');
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p.Properties.Bucket) === JSON.stringify(ref(report.bucket)));
    expect(policy!.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('runs daily on report.scheduleCron in the schedule time zone, failures parked in the failed-runs queue', () => {
    expect(propsOf(logicalId(report.schedule))).toMatchObject({
      ScheduleExpression: `cron(${config.report.scheduleCron})`,
      ScheduleExpressionTimezone: 'Asia/Shanghai',
      Target: { Arn: arnOf(report.report.function), DeadLetterConfig: { Arn: arnOf(stack.scheduledScan.failedRunsQueue) } },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(report.report.function),
      DestinationConfig: { OnFailure: { Destination: arnOf(stack.scheduledScan.failedRunsQueue) } },
    });
  });

  it('lets the report job read the ledger and facts and write only under reports/', () => {
    const statements = statementsOf(report.report.role);
    const dynamo = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    const byTable = (table: { node: unknown }) =>
      dynamo.filter((s) => JSON.stringify(s.Resource).includes(`"${logicalId(table as never)}"`)).flatMap(actionsOf).sort();
    expect(byTable(stack.tables.sends)).toEqual(['dynamodb:Scan']);
    expect(byTable(stack.tables.events)).toEqual(['dynamodb:Query']);
    expect(byTable(stack.tables.profiles)).toEqual(['dynamodb:Scan']);
    expect(byTable(stack.tables.models)).toEqual([]);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.flatMap(actionsOf).every((a) => a.startsWith('s3:PutObject') || a.startsWith('s3:Abort'))).toBe(true);
    expect(JSON.stringify(s3.flatMap(resourcesOf))).toContain('/reports/*');
  });

  it('serves GET /v1/reports/latest from a function that may read only the latest summary, behind the API key', () => {
    const method = Object.entries(resources).find(
      ([, r]) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod === 'GET' && JSON.stringify(r.Properties.Integration).includes(logicalId(report.latest.function)),
    );
    expect(method).toBeDefined();
    expect(method![1].Properties.ApiKeyRequired).toBe(true);
    const resource = resources[method![1].Properties.ResourceId.Ref]!;
    expect(resource.Properties.PathPart).toBe('latest');
    expect(resources[resource.Properties.ParentId.Ref]!.Properties.PathPart).toBe('reports');

    const statements = statementsOf(report.latest.role);
    const actions = statements.flatMap(actionsOf);
    expect(actions.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'))).toBe(false);
    expect(actions).toContain('s3:GetObject*');
    expect(JSON.stringify(statements.flatMap(resourcesOf))).toContain('/reports/latest.json');
    expect(actions.some((a) => a.startsWith('dynamodb:'))).toBe(false);
  });
});
