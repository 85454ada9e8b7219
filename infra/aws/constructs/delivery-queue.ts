import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { ENV } from '../../../shared/env';
import { ConfigError } from '../../../shared/errors';
import type { AlarmTopic } from './alarm-topic';
import type { ChannelSecrets } from './channel-secrets';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

/** AWS: "set the source queue's visibility timeout to at least six times the function timeout". */
export const VISIBILITY_TIMEOUT_MULTIPLE = 6;

export interface DeliveryQueueProps {
  /** The validated configuration; `queue.*` shapes the queue, the whole goes to the sender. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  /** Dead-letter alarms are sent here. */
  readonly alarms: AlarmTopic;
  /**
   * Id of an existing Pinpoint project (literal or a CfnParameter's token). The sender may call
   * SendMessages on this one project and nothing else.
   */
  readonly pinpointApplicationId: string;
  /**
   * The sender's timeout. `queue.visibilityTimeoutSeconds` must be at least six times this.
   * @default Duration.seconds(20)
   */
  readonly senderTimeout?: Duration;
  /** @default 512 */
  readonly senderMemorySize?: number;
  /**
   * How long Lambda may wait to fill a batch. Small: candidates are enqueued in a burst by the scan,
   * so batches fill fast, and a long wait only delays the first message.
   * @default Duration.seconds(2)
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Upper bound on concurrent sender invocations, to stay under the channel's send quota.
   * @default - no limit beyond the account's concurrency
   */
  readonly maxConcurrency?: number;
  /** The channels' HMAC keys (unsubscribe links, webhook signatures); required with channels.ses or channels.webhook. */
  readonly secrets?: ChannelSecrets;
  /**
   * The SES configuration set to send through, when the stack created it (ChannelFeedback): it
   * carries the bounce and complaint destination. @default - channels.ses.configurationSet
   */
  readonly sesConfigurationSetName?: string;
  /** The End User Messaging configuration set to send through, when the stack created it. @default - channels.sms.configurationSet */
  readonly smsConfigurationSetName?: string;
  /**
   * Let the sender record provider OPT_OUT / PERMANENT_FAILURE answers as profile events
   * (functions/feedback/provider-outcomes.ts): the events table and the profile fold are granted
   * and named in its environment. Turn on together with the sender's call to recordProviderOutcomes.
   * @default false
   */
  readonly recordProviderOutcomes?: boolean;
}

/**
 * Candidates queue → sender λ → Pinpoint SendMessages, and SES email, End User Messaging SMS and the
 * signed webhook when config enables them, each granted on exactly its identity and configuration
 * set, with the HMAC keys read from Secrets Manager. The queue is encrypted, TLS-only and backed
 * by a dead-letter queue that alarms on its first message; the sender reports per-message failures,
 * so one bad candidate in a batch is retried alone.
 */
export class DeliveryQueue extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly sender: RewakeFunction;

  constructor(scope: Construct, id: string, props: DeliveryQueueProps) {
    super(scope, id);
    const { tables } = props;
    const config = withConfigurationSets(props.config, props.sesConfigurationSetName, props.smsConfigurationSetName);
    const senderTimeout = props.senderTimeout ?? Duration.seconds(20);
    assertVisibilityCoversSender(config.queue.visibilityTimeoutSeconds, senderTimeout);

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to notice the alarm, fix the cause and redrive.
      retentionPeriod: Duration.days(14),
    });

    this.queue = new Queue(this, 'CandidatesQueue', {
      // SSE-SQS: encrypted at rest with no key for the scan, sender or redrive to be granted.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(config.queue.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.queue.maxReceiveCount },
    });

    props.alarms.alarmOnDeadLetters(
      'CandidatesDeadLetterAlarm',
      this.deadLetterQueue,
      'rewake: candidates the sender failed on repeatedly are in the dead-letter queue. ' +
        'Check the sender logs, fix the cause, then redrive (aws sqs start-message-move-task --source-arn <DLQ ARN>).',
    );

    this.sender = new RewakeFunction(this, 'Sender', {
      stage: 'send',
      config,
      description: 'rewake sender: candidates → Pinpoint SendMessages, recorded in the sends ledger',
      timeout: senderTimeout,
      memorySize: props.senderMemorySize ?? 512,
      environment: {
        ...tables.environmentFor('Profiles', 'Sends', 'Models'),
        [ENV.candidatesQueueUrl]: this.queue.queueUrl,
        [ENV.pinpointApplicationId]: props.pinpointApplicationId,
      },
    });

    // The user's ledger (Query), then conditional transitions: record/claim (PutItem), settle and
    // release (UpdateItem). Nothing is deleted here; erasure is the ingest API's.
    tables.sends.grant(this.sender.function, 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // Consent, channels and addresses, read consistently (ProfileStore.get).
    tables.profiles.grant(this.sender.function, 'dynamodb:GetItem');
    // The latest recommendation model's pointer (Query), then the user's slice of it (BatchGetItem).
    tables.models.grant(this.sender.function, 'dynamodb:Query', 'dynamodb:BatchGetItem');
    // A candidate deferred by quiet hours goes back on the queue with a delay (CandidateQueue.defer).
    this.queue.grant(this.sender.function, 'sqs:SendMessage');
    this.sender.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'SendThroughOnePinpointProject',
        actions: ['mobiletargeting:SendMessages'],
        resources: [pinpointMessagesArn(this, props.pinpointApplicationId)],
      }),
    );
    this.grantChannels(config, props);
    if (props.recordProviderOutcomes) {
      // functions/feedback/provider-outcomes.ts: the deletion marker (Query on sends, granted
      // above), then EventStore.ingest and the fold, exactly as ingest writes a profile event.
      Object.entries(tables.environmentFor('Events')).forEach(([name, value]) => this.sender.function.addEnvironment(name, value));
      tables.events.grant(this.sender.function, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query');
      tables.profiles.grant(this.sender.function, 'dynamodb:PutItem');
    }

    this.sender.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: config.queue.senderBatchSize,
        maxBatchingWindow: props.maxBatchingWindow ?? Duration.seconds(2),
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }

  /**
   * SES, End User Messaging SMS and the webhook's key, each only when configured, each on exactly
   * the resources the sender sends through.
   */
  private grantChannels(config: RewakeConfig, props: DeliveryQueueProps): void {
    const { ses, sms, webhook } = config.channels;
    const stack = Stack.of(this);
    if ((ses || webhook) && !props.secrets) throw new Error('DeliveryQueue: channels.ses and channels.webhook need the stack\'s ChannelSecrets');
    if (ses) {
      const { address, domain } = sesSender(ses.fromAddress);
      const identity = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
      this.sender.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'SendEmailFromOneAddress',
          actions: ['ses:SendEmail'],
          // The verified identity may be the domain or the address itself; SES checks whichever
          // it sends as, and the configuration set. (In the SES sandbox it also checks each
          // verified recipient's identity: add those while testing.)
          resources: [
            identity(domain),
            identity(address),
            ...(ses.configurationSet ? [stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: ses.configurationSet })] : []),
          ],
          conditions: { StringEquals: { 'ses:FromAddress': address } },
        }),
      );
      props.secrets!.grantRead(this.sender, props.secrets!.unsubscribe!);
    }
    if (sms) {
      const origination = smsOriginationArn(this, sms.originationIdentity);
      this.sender.role.addToPrincipalPolicy(
        new PolicyStatement({
          sid: 'SendTextFromOneOriginationIdentity',
          actions: ['sms-voice:SendTextMessage'],
          resources: [
            origination,
            ...(sms.configurationSet
              ? [stack.formatArn({ service: 'sms-voice', resource: 'configuration-set', resourceName: sms.configurationSet, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })]
              : []),
          ],
        }),
      );
      if (isSenderId(sms.originationIdentity)) {
        Validations.of(this.sender.role).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:sender-id/${sms.originationIdentity}/*]`,
          reason: 'A sender id is registered per destination country and its ARN ends in the country code; the wildcard covers the countries of this one sender id.',
        });
      }
    }
    if (webhook) props.secrets!.grantRead(this.sender, props.secrets!.webhook!);
  }
}

/** The config the sender runs with: the configuration sets it must send through filled in. */
function withConfigurationSets(config: RewakeConfig, sesConfigurationSet: string | undefined, smsConfigurationSet: string | undefined): RewakeConfig {
  const { ses, sms } = config.channels;
  return {
    ...config,
    channels: {
      ...config.channels,
      ses: ses && { ...ses, configurationSet: sesConfigurationSet ?? ses.configurationSet },
      sms: sms && { ...sms, configurationSet: smsConfigurationSet ?? sms.configurationSet },
    },
  };
}

/** The address and domain of an SES from address such as `"Rewake Shop" <hello@shop.example>`. */
export function sesSender(fromAddress: string): { address: string; domain: string } {
  const address = (/<([^<>]+)>\s*$/.exec(fromAddress)?.[1] ?? fromAddress).trim();
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) {
    throw new ConfigError(`Invalid configuration:\n  channels.ses.fromAddress: '${fromAddress}' has no address@domain to grant ses:SendEmail on`);
  }
  return { address, domain: address.slice(at + 1).toLowerCase() };
}

/**
 * The ARN of an End User Messaging origination identity as config names it: an ARN as is, a phone
 * number id (phone-…), a pool id (pool-…), or a sender id (its ARN ends in the country code, any
 * country). A bare E.164 number cannot be turned into its ARN offline (the ARN holds the phone
 * number id), so synth asks for the id.
 */
export function smsOriginationArn(scope: Construct, identity: string): string {
  if (identity.startsWith('arn:')) return identity;
  const arn = (resource: string, resourceName: string) =>
    Stack.of(scope).formatArn({ service: 'sms-voice', resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
  if (/^phone-[0-9a-f]+$/i.test(identity)) return arn('phone-number', identity);
  if (/^pool-[0-9a-f]+$/i.test(identity)) return arn('pool', identity);
  if (identity.startsWith('+')) {
    throw new ConfigError(
      `Invalid configuration:\n  channels.sms.originationIdentity: give the phone number's id (phone-…) or ARN, not '${identity}': ` +
        'the sender\'s IAM grant names the number by its ARN, which holds the id.',
    );
  }
  return arn('sender-id', `${identity}/*`);
}

/** A sender id, as opposed to an ARN, a phone number id or a pool id. */
function isSenderId(identity: string): boolean {
  return !identity.startsWith('arn:') && !/^(phone|pool)-[0-9a-f]+$/i.test(identity) && !identity.startsWith('+');
}

/** arn:<partition>:mobiletargeting:<region>:<account>:apps/<id>/messages — SendMessages' resource. */
export function pinpointMessagesArn(scope: Construct, applicationId: string): string {
  return Stack.of(scope).formatArn({
    service: 'mobiletargeting',
    resource: 'apps',
    resourceName: `${applicationId}/messages`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * Fails synth when a message could become visible again while the sender still works on it (a
 * duplicate send attempt) or before Lambda had room to retry a throttled batch.
 */
export function assertVisibilityCoversSender(visibilityTimeoutSeconds: number, senderTimeout: Duration): void {
  const timeoutSeconds = senderTimeout.toSeconds();
  const minimum = VISIBILITY_TIMEOUT_MULTIPLE * timeoutSeconds;
  if (visibilityTimeoutSeconds < minimum) {
    throw new ConfigError(
      `Invalid configuration:\n  queue.visibilityTimeoutSeconds: ${visibilityTimeoutSeconds} is below ` +
        `${VISIBILITY_TIMEOUT_MULTIPLE} × the sender's timeout (${timeoutSeconds} s); AWS recommends at least ` +
        `six times the timeout of a function an SQS queue triggers. Set it to ${minimum} or more.`,
    );
  }
}
