import { Annotations, Duration, Validations } from 'aws-cdk-lib';
import { CfnStage, LambdaIntegration, type RestApi, type ThrottleSettings } from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import type { ChannelSecret, ChannelSecrets } from './channel-secrets';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

/** Where the endpoint sits on the API: `<ApiUrl>v1/unsubscribe`. */
export const UNSUBSCRIBE_PATH = 'v1/unsubscribe';

export interface UnsubscribeEndpointProps {
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** The REST API the routes are added to (IngestApi.api): one domain for the brand's servers and its customers. */
  readonly api: RestApi;
  /** The key the SES channel signs the links with. */
  readonly secret: ChannelSecret;
  readonly secrets: ChannelSecrets;
  /**
   * Requests per second across everyone, for each of GET and POST. Real traffic is people clicking
   * links (and mail scanners fetching them); the ceiling bounds what a flood of forged tokens costs.
   * @default { rateLimit: 20, burstLimit: 40 }
   */
  readonly throttle?: ThrottleSettings;
}

/**
 * GET and POST /v1/unsubscribe on the ingest API, without an API key (mail clients and people call
 * them; the signed token in the URL is the authorization), served by their own small λ, and
 * throttled on their own at the stage so they can neither starve ingest nor be starved by it.
 */
export class UnsubscribeEndpoint extends Construct {
  public readonly handler: RewakeFunction;

  constructor(scope: Construct, id: string, props: UnsubscribeEndpointProps) {
    super(scope, id);
    const { config, tables, api } = props;

    this.handler = new RewakeFunction(this, 'Unsubscribe', {
      stage: 'unsubscribe',
      config,
      description: 'rewake unsubscribe: the one-click link in every email (RFC 8058), no API key',
      // A person is waiting, and RFC 8058 senders should answer quickly.
      timeout: Duration.seconds(10),
      memorySize: 512,
      environment: tables.environmentFor('Events', 'Profiles', 'Sends'),
    });
    // EventStore.ingest (BatchGetItem, BatchWriteItem) and the fold (Query on facts, PutItem profile).
    tables.events.grant(this.handler.function, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query');
    tables.profiles.grant(this.handler.function, 'dynamodb:GetItem', 'dynamodb:PutItem');
    // The deletion marker: nothing is written for a deleted user.
    tables.sends.grant(this.handler.function, 'dynamodb:Query');
    props.secrets.grantRead(this.handler, props.secret);

    const integration = new LambdaIntegration(this.handler.function, { allowTestInvoke: false });
    const resource = (api.root.getResource('v1') ?? api.root.addResource('v1')).addResource('unsubscribe');
    const methods = ['GET', 'POST'].map((method) => resource.addMethod(method, integration, { apiKeyRequired: false }));

    // The links the sender puts in emails must reach this resource (directly or through a custom
    // domain's base path): a link to anywhere else unsubscribes no one.
    const base = new URL(config.channels.ses!.unsubscribeBaseUrl);
    if (!base.pathname.replace(/\/+$/, '').endsWith(`/${UNSUBSCRIBE_PATH}`)) {
      Annotations.of(this).addWarningV2(
        'rewake:unsubscribe-base-url',
        `channels.ses.unsubscribeBaseUrl (${base.origin}${base.pathname}) does not end in /${UNSUBSCRIBE_PATH}: ` +
          'unsubscribe links will not reach this stack\'s endpoint unless something in front rewrites the path. See the UnsubscribeUrl output.',
      );
    }

    const throttle = props.throttle ?? { rateLimit: 20, burstLimit: 40 };
    addMethodThrottling(api, resource.path, ['GET', 'POST'], throttle);

    for (const method of methods) {
      Validations.of(method).acknowledge(
        {
          id: 'AwsSolutions-APIG4',
          reason:
            'Called by mail clients (RFC 8058 one-click POST) and by people clicking a link in an email: neither can send ' +
            'credentials. The HMAC-signed token in the URL is the authorization, and it can only withdraw the consent of the ' +
            'user it was issued for; the method has its own stage throttle.',
        },
        {
          id: 'AwsSolutions-COG4',
          reason: 'No user pool can apply: the callers are anonymous mail clients and email recipients; the signed token authorizes.',
        },
      );
    }
  }
}

/**
 * Stage-level throttling for these methods, next to the stage's own `/*` settings. RestApi builds
 * the stage's method settings from deployOptions; ours are appended to that list.
 */
function addMethodThrottling(api: RestApi, resourcePath: string, methods: string[], throttle: ThrottleSettings): void {
  const stage = api.deploymentStage.node.defaultChild as CfnStage;
  const existing = stage.methodSettings;
  if (existing !== undefined && !Array.isArray(existing)) {
    throw new Error('UnsubscribeEndpoint: the stage\'s method settings are not a plain list; cannot add per-method throttling');
  }
  stage.methodSettings = [
    ...(existing ?? []),
    ...methods.map((httpMethod) => ({
      // CloudFormation's encoding: /v1/unsubscribe → /~1v1~1unsubscribe
      resourcePath: `/${resourcePath.replace(/\//g, '~1')}`,
      httpMethod,
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
      // The stage's settings for all methods are not inherited by a method-specific entry.
      metricsEnabled: true,
      loggingLevel: 'ERROR',
      dataTraceEnabled: false,
    })),
  ];
}
