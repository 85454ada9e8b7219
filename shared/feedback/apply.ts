/**
 * Applies feedback actions through the event store, the way POST /v1/events applies a `profile`
 * event: write once, then fold the user's profile before returning, so the very next send sees it.
 *
 * The stores come in as a small port (the handlers pass EventStore, ProfileStore and SendLedger),
 * so this stays free of AWS imports and is exercised for real by the integration tests.
 */
import type { RewakeEvent } from '../events/schema';
import { addressChanged, alreadyInEffect, toProfileEvent, type FeedbackAction, type ProfileView } from './actions';

export interface FeedbackStores {
  /** The user asked to be deleted (PIPL): nothing may be written for them again. */
  isDeleted(userId: string): Promise<boolean>;
  /** The stored profile, read consistently. */
  profile(userId: string): Promise<ProfileView | undefined>;
  /** EventStore.ingest: stores new events, counts known ones as duplicates. */
  ingest(events: RewakeEvent[]): Promise<{ accepted: number; duplicates: number }>;
  /** EventStore.refreshProfile: folds the user's facts into their profile. */
  refreshProfile(userId: string): Promise<unknown>;
}

export type FeedbackOutcome =
  /** A new profile event was stored and folded. */
  | 'applied'
  /** The same event was already stored (a retry after a crash, or a racing duplicate); the fold was repeated. */
  | 'duplicate'
  /** The profile already says so: nothing written. */
  | 'already_in_effect'
  /** The address the provider reported is no longer the user's: nothing written. */
  | 'address_changed'
  /** The user was deleted: nothing written, and nothing will ever be sent to them. */
  | 'deleted_user';

export interface AppliedFeedback {
  action: FeedbackAction;
  outcome: FeedbackOutcome;
}

/** Applies each action in order; one user's actions never run concurrently with each other. */
export async function applyFeedback(actions: readonly FeedbackAction[], stores: FeedbackStores): Promise<AppliedFeedback[]> {
  const results: AppliedFeedback[] = [];
  for (const action of actions) results.push({ action, outcome: await applyOne(action, stores) });
  return results;
}

async function applyOne(action: FeedbackAction, stores: FeedbackStores): Promise<FeedbackOutcome> {
  const { userId, change } = action;
  if (await stores.isDeleted(userId)) return 'deleted_user';
  const profile = await stores.profile(userId);
  if (action.onlyIfAddress !== undefined && addressChanged(change.channel, action.onlyIfAddress, profile)) return 'address_changed';
  if (alreadyInEffect(change, profile)) return 'already_in_effect';
  const { accepted } = await stores.ingest([toProfileEvent(action, profile?.factCount ?? 0)]);
  // Folded even when the event was a duplicate: a crash between the write and the fold is repaired
  // by the retry, as in ingest.
  await stores.refreshProfile(userId);
  return accepted > 0 ? 'applied' : 'duplicate';
}
