import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { RewakeConfig } from '../../../shared/config';
import { secretArnEnv } from '../../../shared/secrets';
import type { RewakeFunction } from './rewake-function';

export interface ChannelSecretsProps {
  /** `channels.ses` and `channels.webhook` decide which secrets exist, and whether they are generated or imported. */
  readonly config: RewakeConfig;
}

/** One secret, and the environment variable (the config's `…SecretEnv`) handlers know it by. */
export interface ChannelSecret {
  readonly secret: ISecret;
  /** e.g. REWAKE_UNSUBSCRIBE_SECRET: the handler reads the ARN from `<envName>_ARN` (shared/secrets.ts). */
  readonly envName: string;
}

/**
 * The HMAC keys the channels sign with, in AWS Secrets Manager: the unsubscribe-token key (with
 * `channels.ses`) and the webhook key (with `channels.webhook`). Each is imported by name when the
 * config names one (`unsubscribeSecretName`, `secretName`), otherwise generated here. Functions get
 * the secret's ARN, never its value, and read it at cold start (shared/secrets.ts).
 */
export class ChannelSecrets extends Construct {
  /** Signs and checks unsubscribe links: the sender, the unsubscribe endpoint and the feedback handler. */
  public readonly unsubscribe?: ChannelSecret;
  /** Signs webhook requests: the sender. */
  public readonly webhook?: ChannelSecret;

  constructor(scope: Construct, id: string, props: ChannelSecretsProps) {
    super(scope, id);
    const { ses, webhook } = props.config.channels;
    if (ses) {
      this.unsubscribe = {
        envName: ses.unsubscribeSecretEnv,
        secret: this.secret('UnsubscribeKey', ses.unsubscribeSecretName, 'rewake: HMAC key of the unsubscribe links in emails. Changing it voids every link already sent.'),
      };
    }
    if (webhook) {
      this.webhook = {
        envName: webhook.secretEnv,
        secret: this.secret('WebhookKey', webhook.secretName, 'rewake: HMAC key of the webhook requests (x-rewake-signature). Give the same value to the provider.'),
      };
    }
  }

  /** Lets the function read the secret and tells it where: `<envName>_ARN`. */
  grantRead(fn: RewakeFunction, which: ChannelSecret): void {
    which.secret.grantRead(fn.role);
    fn.function.addEnvironment(secretArnEnv(which.envName), which.secret.secretArn);
  }

  private secret(id: string, importedName: string | undefined, description: string): ISecret {
    if (importedName) return Secret.fromSecretNameV2(this, id, importedName);
    const secret = new Secret(this, id, {
      description,
      // 64 letters and digits: ~380 bits, and no punctuation for a provider's config form to mangle.
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      // Deleting it would void every unsubscribe link in people's inboxes, or cut off the provider.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'An HMAC key shared with parties that keep using it: unsubscribe links already in inboxes (no expiry, by design: ' +
        'people unsubscribe months later) and the webhook provider\'s verifier. Automatic rotation would void the links ' +
        'or break the provider; rotate by hand, coordinated with the provider.',
    });
    return secret;
  }
}
