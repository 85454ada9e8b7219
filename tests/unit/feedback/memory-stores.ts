/**
 * FeedbackStores in memory, built on the real core: events become facts (toFact) and profiles are
 * folded from them (foldProfile), with the event store's rule that a known (user, eventId) is a
 * duplicate. So the unit tests exercise the same fold the stores run, without DynamoDB.
 */
import type { RewakeEvent } from '../../../shared/events/schema';
import type { FeedbackStores } from '../../../shared/feedback/apply';
import { foldProfile, type Profile } from '../../../shared/profiles/aggregate';
import { toFact, type Fact } from '../../../shared/profiles/facts';

export class MemoryStores implements FeedbackStores {
  readonly facts = new Map<string, Map<string, Fact>>();
  readonly profiles = new Map<string, Profile>();
  readonly deleted = new Set<string>();
  readonly written: RewakeEvent[] = [];

  /** Stores events and folds every user they touch, as POST /v1/events does for profile events. */
  async seed(events: RewakeEvent[]): Promise<void> {
    await this.ingest(events);
    for (const userId of new Set(events.map((e) => e.userId))) await this.refreshProfile(userId);
    this.written.length = 0;
  }

  async isDeleted(userId: string): Promise<boolean> {
    return this.deleted.has(userId);
  }

  async profile(userId: string): Promise<Profile | undefined> {
    return this.profiles.get(userId);
  }

  async ingest(events: RewakeEvent[]): Promise<{ accepted: number; duplicates: number }> {
    let accepted = 0;
    for (const event of events) {
      const facts = this.facts.get(event.userId) ?? new Map<string, Fact>();
      this.facts.set(event.userId, facts);
      if (facts.has(event.eventId)) continue;
      facts.set(event.eventId, toFact(event));
      this.written.push(event);
      accepted++;
    }
    return { accepted, duplicates: events.length - accepted };
  }

  async refreshProfile(userId: string): Promise<Profile | undefined> {
    const profile = foldProfile(userId, this.facts.get(userId)?.values() ?? []);
    if (profile) this.profiles.set(userId, profile);
    return profile;
  }
}
