import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { ConfigurationSet, ConfigurationSetEventDestination, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { CfnConfigurationSet as CfnSmsConfigurationSet } from 'aws-cdk-lib/aws-smsvoice';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import type { AlarmTopic } from './alarm-topic';
import type { ChannelSecrets } from './channel-secrets';
import { VISIBILITY_TIMEOUT_MULTIPLE } from './delivery-queue';
import { RewakeFunction } from './rewake-function';
import type { Tables } from './tables';

/** The End User Messaging events the feedback handler uses: who a number belongs to, and invalid numbers. */
export const SMS_FEEDBACK_EVENTS = ['TEXT_SUCCESSFUL', 'TEXT_DELIVERED', 'TEXT_INVALID'] as const;
/** The SES events the feedback handler acts on. */
export const EMAIL_FEEDBACK_EVENTS = [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT] as const;

export interface ChannelFeedbackProps {
  /** `channels.ses` / `channels.sms` decide what is wired; the whole goes to the λ. */
  readonly config: RewakeConfig;
  readonly tables: Tables;
  readonly alarms: AlarmTopic;
  /** The unsubscribe key, to check the token an SES event's List-Unsubscribe header carries. */
  readonly secrets: ChannelSecrets;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
}

/**
 * Provider feedback: SES bounces and complaints, End User Messaging SMS replies and delivery events
 * → one encrypted SNS topic → the feedback queue (+DLQ, alarm) → feedback λ → profile events.
 *
 * SES: when config names a configuration set (`channels.ses.configurationSet`), it is the
 * operator's, and the stack adds the SNS event destination to it. When it names none, the stack
 * creates one with that destination, and the sender sends through it (`sesConfigurationSetName`).
 *
 * SMS: End User Messaging keeps event destinations inside the configuration set, so the stack can
 * only wire one it creates; with a named (existing) set, synth warns and the README says which
 * destination to add. Two-way replies are a setting of the operator's phone number (or pool):
 * point its two-way channel at `topic` (the stack output FeedbackTopicArn).
 */
export class ChannelFeedback extends Construct {
  public readonly key: Key;
  public readonly topic: Topic;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly handler: RewakeFunction;
  /** The SES configuration set the sender must use: the configured one, or the one created here. */
  public readonly sesConfigurationSetName?: string;
  /** The End User Messaging configuration set the sender must use: the configured one, or the one created here. */
  public readonly smsConfigurationSetName?: string;

  constructor(scope: Construct, id: string, props: ChannelFeedbackProps) {
    super(scope, id);
    const { config, tables } = props;
    const { ses, sms } = config.channels;
    const account = Stack.of(this).account;
    const timeout = props.timeout ?? Duration.seconds(30);
    const publishers = [...(ses ? ['ses.amazonaws.com'] : []), ...(sms ? ['sms-voice.amazonaws.com'] : [])];

    // A customer-managed key: the AWS-managed aws/sns key's policy cannot grant SES or End User
    // Messaging, and the notifications carry email addresses and phone numbers.
    this.key = new Key(this, 'Key', {
      description: 'rewake provider feedback topic encryption',
      enableKeyRotation: true,
      // It protects notifications in flight only; nothing outlives the stack that needs it.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowMessagingServicesToPublish',
        principals: publishers.map((p) => new ServicePrincipal(p)),
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" means this key
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
    );

    this.topic = new Topic(this, 'Topic', { displayName: 'rewake provider feedback', masterKey: this.key, enforceSSL: true });
    if (sms) {
      // Two-way SMS and SMS event destinations publish as the service, from this account only.
      this.topic.addToResourcePolicy(
        new PolicyStatement({
          sid: 'AllowEndUserMessagingToPublish',
          principals: [new ServicePrincipal('sms-voice.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
    }

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'FeedbackQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(VISIBILITY_TIMEOUT_MULTIPLE * timeout.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.queue.maxReceiveCount },
      // Unprocessed feedback may be an opt-out: keep it as long as SQS allows.
      retentionPeriod: Duration.days(14),
    });
    // Raw delivery: the queue holds the provider's JSON itself, not SNS's envelope around it.
    this.topic.addSubscription(new SqsSubscription(this.queue, { rawMessageDelivery: true }));

    props.alarms.alarmOnDeadLetters(
      'FeedbackDeadLetterAlarm',
      this.deadLetterQueue,
      'rewake: provider feedback (bounces, complaints, SMS opt-out replies) failed repeatedly and is in the dead-letter ' +
        'queue: those opt-outs are not yet in the profiles. Check the feedback function logs, fix the cause, then redrive ' +
        '(aws sqs start-message-move-task --source-arn <DLQ ARN>): applying feedback twice is harmless.',
    );

    this.handler = new RewakeFunction(this, 'Feedback', {
      stage: 'feedback',
      config,
      description: 'rewake feedback: SES bounces and complaints, SMS opt-out replies → profile events',
      timeout,
      memorySize: 512,
      environment: tables.environmentFor('Events', 'Profiles', 'Sends'),
    });
    // EventStore.ingest (BatchGetItem, BatchWriteItem) and refreshProfile (Query); the SMS
    // recipient index (PutItem, Query) lives in the events table.
    tables.events.grant(this.handler.function, 'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 'dynamodb:PutItem');
    // The current address and consent (GetItem), the fold (conditional PutItem).
    tables.profiles.grant(this.handler.function, 'dynamodb:GetItem', 'dynamodb:PutItem');
    // The deletion marker: nothing is written for a deleted user.
    tables.sends.grant(this.handler.function, 'dynamodb:Query');
    if (props.secrets.unsubscribe) props.secrets.grantRead(this.handler, props.secrets.unsubscribe);

    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }),
    );

    if (ses) this.sesConfigurationSetName = this.wireSes(ses.configurationSet);
    if (sms) this.smsConfigurationSetName = this.wireSms(sms.configurationSet);
  }

  private wireSes(configured: string | undefined): string {
    const configurationSet = configured
      ? ConfigurationSet.fromConfigurationSetName(this, 'EmailConfigurationSet', configured)
      : new ConfigurationSet(this, 'EmailConfigurationSet', {});
    // Also grants ses.amazonaws.com sns:Publish on the topic, for this configuration set only.
    new ConfigurationSetEventDestination(this, 'EmailFeedbackDestination', {
      configurationSet,
      destination: EventDestination.snsTopic(this.topic),
      events: [...EMAIL_FEEDBACK_EVENTS],
    });
    return configurationSet.configurationSetName;
  }

  private wireSms(configured: string | undefined): string {
    if (configured) {
      Annotations.of(this).addWarningV2(
        'rewake:sms-configuration-set-events',
        `channels.sms.configurationSet '${configured}' is not the stack's, so the stack cannot add event destinations to it. ` +
          `Add an SNS event destination for ${SMS_FEEDBACK_EVENTS.join(', ')} pointing at the FeedbackTopicArn output, ` +
          'or leave configurationSet out and the stack creates one.',
      );
      return configured;
    }
    const created = new CfnSmsConfigurationSet(this, 'SmsConfigurationSet', {
      eventDestinations: [
        {
          eventDestinationName: 'rewake-feedback',
          enabled: true,
          matchingEventTypes: [...SMS_FEEDBACK_EVENTS],
          snsDestination: { topicArn: this.topic.topicArn },
        },
      ],
    });
    return created.ref;
  }
}
