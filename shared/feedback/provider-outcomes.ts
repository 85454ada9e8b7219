/**
 * What a provider said while sending that must also bind later campaigns, not just this message:
 *
 * - OPT_OUT (Pinpoint's per-address status; End User Messaging's opted-out destination; the
 *   webhook provider's `opted_out`): the person refused this channel at the provider, so the
 *   channel's consent is withdrawn. Otherwise every later campaign step would pick the same
 *   channel, fail the same way and burn the step, instead of falling back to another channel;
 * - PERMANENT_FAILURE (Pinpoint: the address or token cannot receive; the webhook's `rejected`):
 *   the address is removed.
 *
 * Everything else (throttling, temporary failures, content refusals) says nothing about the user.
 */
import { CHANNELS, type Channel } from '../config';
import type { DecisionRecord } from '../delivery/decision-log';
import type { FeedbackAction } from './actions';

/** Actions for the `failed` decisions a send batch recorded. */
export function providerOutcomeActions(decisions: readonly DecisionRecord[]): FeedbackAction[] {
  const actions: FeedbackAction[] = [];
  for (const d of decisions) {
    if (d.decision !== 'failed' || !isChannel(d.channel)) continue;
    const kind = d.reason === 'OPT_OUT' ? 'withdraw_consent' : d.reason === 'PERMANENT_FAILURE' ? 'remove_address' : undefined;
    if (!kind) continue;
    actions.push({
      userId: d.userId,
      source: 'provider_outcome',
      change: { kind, channel: d.channel },
      at: d.at,
      idempotencyKey: `send:${d.userId}:${d.campaign}:${d.step}:${d.reason}`,
    });
  }
  return actions;
}

function isChannel(value: string | undefined): value is Channel {
  return (CHANNELS as readonly string[]).includes(value ?? '');
}
