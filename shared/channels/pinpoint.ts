/**
 * Amazon Pinpoint SendMessages: push (FCM/APNs) and SMS, up to 100 addresses per call, each with
 * its own rendered body (per-address overrides) and a Context naming user, campaign and step.
 * Pinpoint's engagement side ended on 2026-10-30, but SendMessages lives on as AWS End User
 * Messaging; Rewake needs only this call from it.
 */
import { PinpointClient, SendMessagesCommand, type AddressConfiguration, type ChannelType } from '@aws-sdk/client-pinpoint';
import type { Channel } from '../config';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from './channel';

let shared: PinpointClient | undefined;
/** One client per process, built on first use (AWS_ENDPOINT_URL_PINPOINT points it at the local outbox). */
export function pinpointClient(): PinpointClient {
  shared ??= new PinpointClient({ maxAttempts: 3 });
  return shared;
}

export function resetPinpointClient(): void {
  shared = undefined;
}

export const MAX_ADDRESSES_PER_CALL = 100;

export interface PinpointChannelOptions {
  applicationId: string;
  /** SMS sender: an origination number or sender id registered in the project. */
  smsOriginationNumber?: string;
}

export class PinpointChannel implements DeliveryChannel {
  readonly channels: readonly Channel[] = ['push', 'sms'];

  constructor(
    private readonly client: PinpointClient,
    private readonly options: PinpointChannelOptions,
  ) {}

  async send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    const outcomes: DeliveryOutcome[] = [];
    for (const batch of batches(messages)) {
      const addresses: Record<string, AddressConfiguration> = {};
      const byAddress = new Map<string, OutgoingMessage>();
      for (const m of batch) {
        const { channelType, address } = pinpointAddress(m);
        byAddress.set(address, m);
        addresses[address] = {
          ChannelType: channelType,
          TitleOverride: m.channel === 'sms' ? undefined : m.title,
          BodyOverride: m.body,
          // Context reaches Pinpoint's event stream: clicks and opens attribute to the items shown.
          Context: { userId: m.userId, campaign: m.campaign, step: String(m.step), ...(m.recommendations?.length ? { recommendations: m.recommendations.join(',') } : {}) },
        };
      }
      let out;
      try {
        out = await this.client.send(
          new SendMessagesCommand({
            ApplicationId: this.options.applicationId,
            MessageRequest: {
              Addresses: addresses,
              MessageConfiguration: {
                SMSMessage: { MessageType: 'PROMOTIONAL', OriginationNumber: this.options.smsOriginationNumber },
                GCMMessage: { Action: 'OPEN_APP' },
                APNSMessage: { Action: 'OPEN_APP' },
              },
            },
          }),
        );
      } catch (error) {
        // Only this call failed: earlier calls' messages keep their outcomes (they were sent), so a
        // retry cannot send them twice; this call's messages go back through the queue.
        const status = (error as Error).name || 'PROVIDER_ERROR';
        for (const m of batch) outcomes.push({ key: m.key, result: 'retry', status });
        continue;
      }
      const results = out.MessageResponse?.Result ?? {};
      for (const [address, m] of byAddress) outcomes.push(outcomeOf(m.key, results[address]));
    }
    return outcomes;
  }
}

/** Map Pinpoint's per-address DeliveryStatus (DESIGN "Channels"). */
export function outcomeOf(key: string, result: { DeliveryStatus?: string; MessageId?: string } | undefined): DeliveryOutcome {
  const status = result?.DeliveryStatus ?? 'MISSING';
  switch (status) {
    case 'SUCCESSFUL':
    case 'DUPLICATE':
      return { key, result: 'sent', status, messageId: result?.MessageId };
    case 'PERMANENT_FAILURE':
    case 'OPT_OUT':
      return { key, result: 'suppress', status };
    // THROTTLED, TEMPORARY_FAILURE, UNKNOWN_FAILURE, TIMEOUT and a missing result: Pinpoint does not
    // retry these itself, so they go back through the queue.
    default:
      return { key, result: 'retry', status };
  }
}

/** Push tokens are stored as `apns:<token>` for Apple devices; anything else is FCM. */
function pinpointAddress(m: OutgoingMessage): { channelType: ChannelType; address: string } {
  if (m.channel === 'sms') return { channelType: 'SMS', address: m.address };
  if (m.address.startsWith('apns:')) return { channelType: 'APNS', address: m.address.slice(5) };
  return { channelType: 'GCM', address: m.address.replace(/^fcm:/, '') };
}

/** Up to 100 per call, and an address at most once per call (results are keyed by address). */
function* batches(messages: OutgoingMessage[]): Generator<OutgoingMessage[]> {
  let current: OutgoingMessage[] = [];
  let addresses = new Set<string>();
  for (const m of messages) {
    const address = pinpointAddress(m).address;
    if (current.length === MAX_ADDRESSES_PER_CALL || addresses.has(address)) {
      yield current;
      current = [];
      addresses = new Set();
    }
    current.push(m);
    addresses.add(address);
  }
  if (current.length) yield current;
}
