/**
 * One DeliveryChannel in front of several providers: push → Pinpoint, sms → End User Messaging or
 * a domestic webhook, email → SES. The sender sees a single channel whose `channels` is the union,
 * and each provider is called once per send with all of its messages, in parallel with the others.
 * A provider that throws costs only its own messages (they come back as `retry`); the others keep
 * their outcomes, so a failing SMS gateway never re-sends emails that already went out.
 *
 * Also here, because this module has no SDK imports and the providers share them: `sendEach`,
 * bounded-concurrency dispatch for providers whose API takes one message per call (SES, EUM SMS),
 * and `ensureRefusalLine`, the China-rules guard for every SMS-like body.
 */
import type { Channel } from '../config';
import { ConfigError } from '../errors';
import { logger } from '../observability';
import { SMS_REFUSAL } from '../offers/render';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from './channel';

export type ChannelProviders = Partial<Record<Channel, DeliveryChannel>>;

export class ChannelRouter implements DeliveryChannel {
  readonly channels: readonly Channel[];
  private readonly providers: ReadonlyMap<Channel, DeliveryChannel>;

  constructor(providers: ChannelProviders) {
    const entries = Object.entries(providers).filter((e): e is [Channel, DeliveryChannel] => e[1] !== undefined);
    if (entries.length === 0) throw new ConfigError('ChannelRouter needs at least one channel provider');
    for (const [channel, provider] of entries) {
      if (!provider.channels.includes(channel)) {
        throw new ConfigError(`The provider routed for '${channel}' serves only: ${provider.channels.join(', ')}`);
      }
    }
    this.providers = new Map(entries);
    this.channels = entries.map(([channel]) => channel);
  }

  /** The provider that delivers `channel`, if any. */
  providerFor(channel: Channel): DeliveryChannel | undefined {
    return this.providers.get(channel);
  }

  async send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    // Grouped by provider, not by channel: one provider serving two channels (Pinpoint: push and
    // sms) still gets a single call with all of its messages.
    const groups = new Map<DeliveryChannel, OutgoingMessage[]>();
    const unrouted: DeliveryOutcome[] = [];
    for (const m of messages) {
      const provider = this.providers.get(m.channel);
      if (!provider) {
        // The sender only picks channels from `this.channels`, so this is a wiring bug: retry
        // (and in the end the DLQ) rather than silently burning the user's campaign step.
        unrouted.push({ key: m.key, result: 'retry', status: 'NO_PROVIDER' });
        continue;
      }
      const group = groups.get(provider);
      if (group) group.push(m);
      else groups.set(provider, [m]);
    }

    const results = await Promise.all(
      [...groups].map(async ([provider, group]): Promise<DeliveryOutcome[]> => {
        try {
          return complete(group, await provider.send(group));
        } catch (error) {
          const status = errorName(error);
          // Error name and counts only: provider messages can quote addresses (PII).
          logger.warn('channel provider failed; its messages will be retried', { channels: provider.channels, messages: group.length, error: status });
          return group.map((m) => ({ key: m.key, result: 'retry', status }));
        }
      }),
    );
    return [...unrouted, ...results.flat()];
  }
}

/** Exactly one outcome per message of the group: a provider's missing answer is a retry. */
function complete(group: OutgoingMessage[], outcomes: DeliveryOutcome[]): DeliveryOutcome[] {
  const byKey = new Map(outcomes.map((o) => [o.key, o]));
  return group.map((m) => byKey.get(m.key) ?? { key: m.key, result: 'retry', status: 'MISSING' });
}

export function errorName(error: unknown): string {
  return (error instanceof Error && error.name) || 'PROVIDER_ERROR';
}

/** What a per-message send produced, and whether the rest of the batch should not be attempted. */
export interface EachResult {
  outcome: DeliveryOutcome;
  /**
   * The failure is not about this message but about the account or its configuration (suspended,
   * paused, throttled, identity missing): starting the remaining calls would fail the same way.
   */
  halt?: boolean;
}

/**
 * Sends one message per provider call, at most `concurrency` calls in flight, in input order.
 * After a halting result no new call starts; messages never attempted come back as `retry` with the
 * halting status. `sendOne` should map its own errors; one that escapes becomes a `retry`.
 */
export async function sendEach(
  messages: readonly OutgoingMessage[],
  concurrency: number,
  sendOne: (message: OutgoingMessage) => Promise<EachResult>,
): Promise<DeliveryOutcome[]> {
  const outcomes: (DeliveryOutcome | undefined)[] = new Array(messages.length);
  let next = 0;
  let haltedBy: string | undefined;
  const worker = async () => {
    while (haltedBy === undefined && next < messages.length) {
      const index = next++;
      const message = messages[index]!;
      let result: EachResult;
      try {
        result = await sendOne(message);
      } catch (error) {
        result = { outcome: { key: message.key, result: 'retry', status: errorName(error) } };
      }
      outcomes[index] = result.outcome;
      if (result.halt) haltedBy ??= result.outcome.status;
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(concurrency) || 1, messages.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return messages.map((m, i) => outcomes[i] ?? { key: m.key, result: 'retry', status: haltedBy ?? 'NOT_ATTEMPTED' });
}

/**
 * A marketing SMS must end with a way to refuse (MIIT rules; DESIGN "China rules"). The renderer
 * already ends every SMS and webhook body with 「拒收请回复R」 (or the English STOP line); a body that
 * reaches a provider without one gets it appended, in the body's own language, rather than sent bare.
 */
export function ensureRefusalLine(body: string): string {
  const trimmed = body.trimEnd();
  if (Object.values(SMS_REFUSAL).some((line) => trimmed.endsWith(line))) return trimmed;
  return /[\u3400-\u9fff]/.test(trimmed) ? `${trimmed}${SMS_REFUSAL['zh-CN']}` : `${trimmed} ${SMS_REFUSAL.en}`;
}
