/**
 * SMS through AWS End User Messaging SMS (`pinpoint-sms-voice-v2`) `SendTextMessage`: one
 * destination per call (the API has no batch form), a few calls in flight, PROMOTIONAL type, the
 * configured origination identity and configuration set, and a Context naming user, campaign and
 * step so delivery events can be tied back to the ledger. The account's opt-out list is checked by
 * the service on every send and surfaces here as a ConflictException: that address is suppressed.
 */
import { PinpointSMSVoiceV2Client, SendTextMessageCommand, type SendTextMessageCommandInput } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import type { Channel } from '../config';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from './channel';
import { ensureRefusalLine, errorName, sendEach, type EachResult } from './router';

let shared: PinpointSMSVoiceV2Client | undefined;
/** One client per process, built on first use (AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 points it elsewhere). */
export function smsClient(): PinpointSMSVoiceV2Client {
  shared ??= new PinpointSMSVoiceV2Client({ maxAttempts: 3 });
  return shared;
}

export function resetSmsClient(): void {
  shared = undefined;
}

export interface EumSmsChannelOptions {
  /** Phone number, pool, sender id (or their ARNs) registered for the destination countries. */
  originationIdentity: string;
  configurationSetName?: string;
  /** Calls in flight at once; origination numbers have low MPS limits. @default 5 */
  concurrency?: number;
}

export class EumSmsChannel implements DeliveryChannel {
  readonly channels: readonly Channel[] = ['sms'];

  constructor(
    private readonly client: PinpointSMSVoiceV2Client,
    private readonly options: EumSmsChannelOptions,
  ) {
    if (!options.originationIdentity) throw new TypeError('EumSmsChannel needs originationIdentity');
  }

  async send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    return sendEach(messages, this.options.concurrency ?? 5, (m) => this.sendOne(m));
  }

  private async sendOne(m: OutgoingMessage): Promise<EachResult> {
    try {
      const out = await this.client.send(new SendTextMessageCommand(smsRequest(m, this.options)));
      return { outcome: { key: m.key, result: 'sent', status: 'SUCCESSFUL', messageId: out.MessageId } };
    } catch (error) {
      return classifySmsError(m.key, error);
    }
  }
}

/** The exact SendTextMessage request for one message; the body always ends with the refusal line. */
export function smsRequest(m: OutgoingMessage, options: EumSmsChannelOptions): SendTextMessageCommandInput {
  return {
    DestinationPhoneNumber: m.address,
    OriginationIdentity: options.originationIdentity,
    MessageBody: ensureRefusalLine(m.body),
    MessageType: 'PROMOTIONAL',
    ConfigurationSetName: options.configurationSetName,
    Context: { userId: m.userId, campaign: m.campaign, step: String(m.step) },
  };
}

/** Conflicts that are about this destination, not about our setup: the number cannot get our SMS. */
const DESTINATION_CONFLICTS = new Set([
  'DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE',
  'DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION',
  'DESTINATION_PHONE_NUMBER_NOT_VERIFIED', // sandbox: only verified destinations
]);

/**
 * Validation failures that mean "not set up for this destination's country yet" (registration,
 * sender id, country enablement): fixable by an operator, and other countries still work, so the
 * message retries (in the end to the DLQ, to be redriven) and the batch goes on.
 */
const SETUP_VALIDATIONS = new Set([
  'COUNTRY_CODE_MISMATCH',
  'COUNTRY_NOT_ENABLED',
  'INTERNATIONAL_SENDING_NOT_SUPPORTED',
  'INVALID_IDENTITY_FOR_DESTINATION_COUNTRY',
  'SENDER_ID_NOT_REGISTERED',
  'SENDER_ID_NOT_SUPPORTED',
  'SENDER_ID_REQUIRES_REGISTRATION',
  'CHANNEL_NOT_ENABLED',
  'RESOURCE_NOT_ACCESSIBLE',
]);

/**
 * Maps a SendTextMessage failure:
 * - ThrottlingException, ServiceQuotaExceededException (MPS, monthly spend limit) → retry, and no
 *   further calls this batch.
 * - InternalServerException, other 5xx, network errors, unknown errors → retry.
 * - ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT → suppress as `OPT_OUT` (the user replied
 *   STOP / 退订 or is on the opt-out list); the other destination conflicts above → suppress.
 *   Any other conflict (origination identity not active, message type or keyword mismatch...) is
 *   our setup: retry and halt.
 * - ValidationException: a setup reason above → retry; anything else (CANNOT_PARSE, a malformed or
 *   impossible number, INVALID_PARAMETER, MAXIMUM_SIZE_EXCEEDED, DESTINATION_COUNTRY_BLOCKED) →
 *   suppress: the same request would fail the same way.
 * - AccessDeniedException (account disabled, reputation), ResourceNotFoundException (configuration
 *   set or origination identity missing) → retry and halt: the account, not the user, is at fault.
 */
export function classifySmsError(key: string, error: unknown): EachResult {
  const name = errorName(error);
  const reason = (error as { Reason?: string }).Reason;
  const status = reason ? `${name}:${reason}` : name;
  switch (name) {
    case 'ThrottlingException':
    case 'ServiceQuotaExceededException':
      return { outcome: { key, result: 'retry', status }, halt: true };
    case 'ConflictException':
      if (reason === 'DESTINATION_PHONE_NUMBER_OPTED_OUT') return { outcome: { key, result: 'suppress', status: 'OPT_OUT' } };
      if (reason && DESTINATION_CONFLICTS.has(reason)) return { outcome: { key, result: 'suppress', status } };
      return { outcome: { key, result: 'retry', status }, halt: true };
    case 'ValidationException':
      if (reason && SETUP_VALIDATIONS.has(reason)) return { outcome: { key, result: 'retry', status } };
      return { outcome: { key, result: 'suppress', status } };
    case 'AccessDeniedException':
    case 'ResourceNotFoundException':
      return { outcome: { key, result: 'retry', status }, halt: true };
    default:
      return { outcome: { key, result: 'retry', status } };
  }
}
