import { App, Stack } from 'aws-cdk-lib';
import { Period } from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { IngestApi } from '../../infra/aws/constructs/ingest-api';
import { Tables } from '../../infra/aws/constructs/tables';
import { parseConfig } from '../../shared/config';
import { FAST_APP_PROPS, arnOf, logicalId, ref, synthRewake } from './helpers';

const { stack, template } = synthRewake();
const { ingestApi } = stack;
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;

/** "POST /v1/events"-style keys for every method, from the template's resource tree. */
function routes(): Record<string, Record<string, any>> {
  const pathOf = (id: string): string => {
    const r = resources[id];
    if (!r || r.Type !== 'AWS::ApiGateway::Resource') return '';
    return `${pathOf(r.Properties.ParentId.Ref ?? '')}/${r.Properties.PathPart}`;
  };
  return Object.fromEntries(
    Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => [
      `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId.Ref)}`,
      m.Properties,
    ]),
  );
}

describe('ingest API', () => {
  it('serves POST /v1/events and GET and DELETE /v1/users/{userId} from the ingest function, and the latest report from its own', () => {
    const methods = routes();
    expect(Object.keys(methods).sort()).toEqual(['DELETE /v1/users/{userId}', 'GET /v1/reports/latest', 'GET /v1/users/{userId}', 'POST /v1/events']);
    for (const [route, method] of Object.entries(methods)) {
      expect(method.Integration.Type).toBe('AWS_PROXY');
      const fn = route === 'GET /v1/reports/latest' ? stack.report.latest.function : ingestApi.ingest.function;
      expect(JSON.stringify(method.Integration.Uri)).toContain(JSON.stringify(arnOf(fn)));
    }
  });

  it('requires an API key in the x-api-key header on every method', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
    template.allResourcesProperties('AWS::ApiGateway::Method', { ApiKeyRequired: true });
  });

  it('throttles each API key through a usage plan on the deployed stage', () => {
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 50, BurstLimit: 100 },
      ApiStages: [{ ApiId: ref(ingestApi.api), Stage: ref(ingestApi.api.deploymentStage) }],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: ref(ingestApi.apiKey),
      KeyType: 'API_KEY',
      UsagePlanId: ref(ingestApi.usagePlan),
    });
  });

  it('has no quota by default and takes one when given', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Quota: Match.absent() });

    const bare = new Stack(new App(FAST_APP_PROPS), 'Bare');
    new IngestApi(bare, 'IngestApi', {
      config: parseConfig({}),
      tables: new Tables(bare, 'Tables'),
      profileRefreshQueue: new Queue(bare, 'RefreshQueue'),
      quota: { limit: 100_000, period: Period.DAY },
    });
    Template.fromStack(bare).hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Quota: { Limit: 100_000, Period: 'DAY' },
    });
  });

  it('writes one JSON access log line per request, without bodies or personal data, to its own log group', () => {
    const stage = resources[logicalId(ingestApi.api.deploymentStage)]!.Properties;
    expect(JSON.stringify(stage.AccessLogSetting.DestinationArn)).toContain(logicalId(ingestApi.accessLogs));
    const format = JSON.parse(stage.AccessLogSetting.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
      resourcePath: '$context.resourcePath',
      apiKeyId: '$context.identity.apiKeyId',
    });
    expect(stage.AccessLogSetting.Format).not.toMatch(/\$input|body|sourceIp|userAgent|\$context\.path/);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('logs method errors and metrics for every method, never request data', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          DataTraceEnabled: false,
          ThrottlingRateLimit: 200,
          ThrottlingBurstLimit: 400,
        }),
      ],
    });
  });

  it('validates the userId path parameter at the gateway and leaves event bodies to the handler', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestParameters: true,
      ValidateRequestBody: true,
    });
    const methods = routes();
    for (const route of ['GET /v1/users/{userId}', 'DELETE /v1/users/{userId}']) {
      expect(methods[route]).toMatchObject({
        RequestParameters: { 'method.request.path.userId': true },
        RequestValidatorId: { Ref: expect.any(String) },
      });
    }
    expect(methods['POST /v1/events']?.RequestModels).toBeUndefined();
  });

  it('answers the gateway\'s own 4xx and 5xx errors with a JSON body', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: { 'application/json': '{"message":$context.error.messageString}' },
      });
    }
  });

  it('uses a regional endpoint', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  it('outputs the API URL and the API key id, once each', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.ApiKeyId?.Value).toEqual(ref(ingestApi.apiKey));
    expect(JSON.stringify(outputs.ApiUrl?.Value)).toContain('.execute-api.');
    const urlOutputs = Object.values(outputs).filter((o) => JSON.stringify(o.Value).includes('.execute-api.'));
    expect(urlOutputs).toHaveLength(1);
  });

  it('sets up the account\'s API Gateway logging role by default, and keeps it when the stack goes', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    template.hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain' });
  });

  it('leaves the account\'s API Gateway logging role alone when told to', () => {
    const { template: without } = synthRewake({}, { apiGatewayCloudWatchRole: false });
    without.resourceCountIs('AWS::ApiGateway::Account', 0);
  });

  it('warns when events.maxBodyBytes is above what a synchronous Lambda invocation accepts', () => {
    const { stack: big } = synthRewake({ events: { maxBodyBytes: 8 * 1024 * 1024 } });
    const warnings = big.ingestApi.node.metadata.filter((m) => m.type === 'aws:cdk:warning');
    expect(warnings.map((w) => String(w.data))).toEqual([expect.stringMatching(/events\.maxBodyBytes.*6 MB/)]);
    expect(stack.ingestApi.node.metadata.filter((m) => m.type === 'aws:cdk:warning')).toEqual([]);
  });
});
