import { Annotations, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKeySourceType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  type IApiKey,
  type IResource,
  type Method,
  type QuotaSettings,
  type ThrottleSettings,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { ENV } from '../../../shared/env';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

/**
 * A synchronous Lambda invocation accepts at most 6 MB of request payload (the whole API Gateway
 * event: body, headers, context), below API Gateway's own 10 MB.
 */
const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface IngestApiProps {
  /** The validated configuration; `events.*` bounds a request. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Where ingest names the users whose profiles need folding (ProfileRefresh.queue). */
  readonly profileRefreshQueue: IQueue;
  /**
   * Steady rate and burst allowed to each API key (usage plan). Callers are a brand's own back ends
   * sending batches of up to `events.maxEventsPerRequest` events, so requests are few and large.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Requests allowed to each API key per period.
   * @default - no quota
   */
  readonly quota?: QuotaSettings;
  /**
   * Rate and burst for the stage as a whole, across all keys: a ceiling on what ingest can cost.
   * @default { rateLimit: 200, burstLimit: 400 }
   */
  readonly stageThrottle?: ThrottleSettings;
  /** @default 'prod' */
  readonly stageName?: string;
  /**
   * Create the account-level role API Gateway needs to write access and execution logs. Turn off in
   * an account whose API Gateway settings already name such a role.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /** @default RetentionDays.ONE_MONTH */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Below API Gateway's 29 s integration timeout, so a slow batch ends as the handler's own error,
   * not as a gateway 504 while writes continue.
   * @default Duration.seconds(20)
   */
  readonly ingestTimeout?: Duration;
  /** @default 1024 (CPU scales with memory; this is on the request path) */
  readonly ingestMemorySize?: number;
}

/**
 * The HTTPS front door: a REST API with one ingest λ behind three routes, API-key auth with a usage
 * plan, JSON access logs without bodies, and JSON error bodies for the gateway's own 4xx/5xx.
 *
 *   POST   /v1/events           batch of behaviour events
 *   GET    /v1/users/{userId}   a user's profile (support, PIPL access requests)
 *   DELETE /v1/users/{userId}   delete a user's data (PIPL)
 *
 * The ingest handler routes on the resource path, so one function (one warm pool) serves all three.
 */
export class IngestApi extends Construct {
  public readonly api: RestApi;
  public readonly ingest: RewakeFunction;
  public readonly apiKey: IApiKey;
  public readonly usagePlan: UsagePlan;
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: IngestApiProps) {
    super(scope, id);
    const { config, tables } = props;

    this.ingest = new RewakeFunction(this, 'Ingest', {
      stage: 'ingest',
      config,
      description: 'rewake ingest: events in, profile refresh requested; user read and delete',
      timeout: props.ingestTimeout ?? Duration.seconds(20),
      memorySize: props.ingestMemorySize ?? 1024,
      environment: {
        ...tables.environmentFor('Events', 'Profiles', 'Sends'),
        [ENV.profileRefreshQueueUrl]: props.profileRefreshQueue.queueUrl,
      },
    });
    // Exactly the calls shared/store makes on each table, no more (docs/design.md):
    // events: which events are known (consistent BatchGetItem), raw events and facts (BatchWriteItem),
    // a user's facts for a consent change's synchronous fold, and erasure (Query, BatchWriteItem delete).
    tables.events.grant(this.ingest.function, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query');
    // profiles: GET /v1/users/{userId} (GetItem), the synchronous fold (conditional PutItem), erasure (DeleteItem).
    tables.profiles.grant(this.ingest.function, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    // sends: the user's ledger (Query); DELETE erases its entries (BatchWriteItem) and puts the
    // suppression marker (PutItem).
    tables.sends.grant(this.ingest.function, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem');
    // Every other user's profile is folded off the request path; SendMessageBatch is authorized as SendMessage.
    props.profileRefreshQueue.grant(this.ingest.function, 'sqs:SendMessage');

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
    });

    const stageThrottle = props.stageThrottle ?? { rateLimit: 200, burstLimit: 400 };
    const cloudWatchRole = props.cloudWatchRole ?? true;
    this.api = new RestApi(this, 'Api', {
      description: 'rewake ingest API',
      // Regional, not edge-optimized: callers are servers that gain little from CloudFront's edge,
      // and a regional endpoint can later sit behind a custom domain or CDN of our choosing.
      endpointTypes: [EndpointType.REGIONAL],
      apiKeySourceType: ApiKeySourceType.HEADER,
      defaultMethodOptions: { apiKeyRequired: true },
      cloudWatchRole,
      // The role is an account-wide setting; deleting it with this stack would break every other
      // API's logging in the account.
      cloudWatchRoleRemovalPolicy: cloudWatchRole ? RemovalPolicy.RETAIN : undefined,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Execution logs with data tracing would copy request bodies (personal data) into logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
      },
    });

    // The stack outputs the URL under a stable name (ApiUrl); drop RestApi's generated duplicate.
    this.api.node.tryRemoveChild('Endpoint');

    // Request size: API Gateway rejects bodies over its own 10 MB limit with 413 before we see them,
    // and a synchronous Lambda invocation takes at most 6 MB. The real limit is the handler's:
    // it answers 413 above config.events.maxBodyBytes (default 1 MiB) and 400 above
    // config.events.maxEventsPerRequest, so the limit lives in one place, the config.
    if (config.events.maxBodyBytes > LAMBDA_SYNC_PAYLOAD_BYTES - 64 * 1024) {
      Annotations.of(this).addWarningV2(
        'rewake:events-maxBodyBytes',
        `events.maxBodyBytes is ${config.events.maxBodyBytes}, but a synchronous Lambda invocation accepts ` +
          'at most 6 MB including headers: larger bodies fail at API Gateway before the handler can answer 413.',
      );
    }

    // The gateway's own errors (missing key, throttled, too large) get a JSON body like the
    // handler's, never an HTML or plain-text one.
    for (const [responseId, type] of [
      ['Default4xx', ResponseType.DEFAULT_4XX],
      ['Default5xx', ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(responseId, {
        type,
        templates: { 'application/json': '{"message":$context.error.messageString}' },
      });
    }

    // No console test-invoke permission: one Lambda permission per method instead of two.
    const integration = new LambdaIntegration(this.ingest.function, { allowTestInvoke: false });
    const v1 = this.api.root.addResource('v1');

    // Request validation: the gateway checks what it can check well, the path parameter. Event
    // bodies are validated by the handler, because the ingest contract answers 400 with every problem
    // as {index, field, reason}; a gateway model would answer structural errors in another shape and
    // duplicate the schema in shared/events.
    const validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    v1.addResource('events').addMethod('POST', integration);
    const user = v1.addResource('users').addResource('{userId}');
    for (const method of ['GET', 'DELETE']) {
      user.addMethod(method, integration, {
        requestParameters: { 'method.request.path.userId': true },
        requestValidator: validator,
      });
    }

    this.apiKey = this.api.addApiKey('ApiKey', {
      description: 'rewake ingest: send in the x-api-key header',
    });
    this.usagePlan = this.api.addUsagePlan('UsagePlan', {
      description: 'rewake ingest callers',
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      quota: props.quota,
      apiStages: [{ api: this.api, stage: this.api.deploymentStage }],
    });
    this.usagePlan.addApiKey(this.apiKey);

    this.acknowledgeNagFindings(cloudWatchRole);
  }

  /**
   * Another function behind the same API key and usage plan, e.g. GET /v1/reports/latest: callers
   * are the brand's own systems, like the ingest routes.
   */
  addKeyedRoute(path: string[], httpMethod: string, fn: IFunction): Method {
    let resource: IResource = this.api.root;
    for (const part of path) resource = resource.getResource(part) ?? resource.addResource(part);
    const method = resource.addMethod(httpMethod, new LambdaIntegration(fn, { allowTestInvoke: false }), { apiKeyRequired: true });
    acknowledgeKeyedMethod(method);
    return method;
  }

  private acknowledgeNagFindings(cloudWatchRole: boolean): void {
    for (const method of this.api.methods) acknowledgeKeyedMethod(method);
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL in the default stack: callers are known back ends with API keys, per-key and stage ' +
        'throttling, and bodies bounded and validated by the handler; a web ACL adds a monthly and per-request ' +
        'cost. Associate one with this stage when the API is opened to browsers or mini-programs directly.',
    });
    if (cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'The account-level role API Gateway assumes to write logs: AWS\'s purpose-built policy for exactly ' +
          'this, and API Gateway needs to create its own execution log groups (names not known in advance).',
      });
    }
  }
}

function acknowledgeKeyedMethod(method: Method): void {
  Validations.of(method).acknowledge(
    {
      id: 'AwsSolutions-APIG4',
      reason:
        'Callers are the brand\'s own back ends (server to server), authenticated by API key with a per-key ' +
        'usage plan (throttle, optional quota); there are no end-user identities to authorize.',
    },
    {
      id: 'AwsSolutions-COG4',
      reason:
        'No Cognito user pool: callers are servers, not people. API keys with a usage plan identify and ' +
        'throttle each calling system; an IAM-signed variant is the upgrade path if keys are not enough.',
    },
  );
}

/**
 * One JSON object per request. No bodies, no source IP or user agent (the path template, not the
 * actual path, so no user id either): enough to trace a request by id and key, nothing personal.
 */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      extendedRequestId: AccessLogField.contextExtendedRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      protocol: AccessLogField.contextProtocol(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      errorType: AccessLogField.contextErrorResponseType(),
      apiKeyId: AccessLogField.contextIdentityApiKeyId(),
    }),
  );
}
