/**
 * New arrivals in favourite categories. A merchandiser lists announcements in the configuration
 * (`campaigns.newArrivals.announcements`: id, category, optional sku, arrival day); each is due,
 * for `windowDays` days from its arrival, to at-risk and dormant users whose category affinity
 * holds its category and who have bought nothing since it arrived (so not the new item either).
 * It answers the `no_novelty` cause: "nothing new in the categories I like".
 *
 * Users who refused personalised recommendations (PIPL Art. 24) are never picked, because the
 * audience itself is chosen from their behaviour.
 */
import { dayIn } from '../clock';
import type { Profile } from '../profiles/aggregate';

export interface Announcement {
  id: string;
  category: string;
  sku?: string;
  /** YYYY-MM-DD in the user's time zone. */
  arrivedOn: string;
}

export interface NewArrivalsSettings {
  windowDays: number;
  announcements: readonly Announcement[];
}

const DAY_MS = 86_400_000;

/**
 * The announcements this user may hear about today, best first: the category they like most,
 * then the newest arrival, then the configured order.
 */
export function eligibleAnnouncements(profile: Profile, now: Date, settings: NewArrivalsSettings, defaultTimezone: string): Announcement[] {
  if (!profile.personalisedRecommendations) return [];
  const timezone = profile.timezone ?? defaultTimezone;
  const today = dayIn(now, timezone);
  const lastPurchaseDay = profile.lastPurchaseAt ? dayIn(new Date(profile.lastPurchaseAt), timezone) : undefined;
  const eligible = settings.announcements.filter((a) => {
    const age = (Date.parse(today) - Date.parse(a.arrivedOn)) / DAY_MS;
    if (age < 0 || age >= settings.windowDays) return false;
    if (!(profile.categoryAffinity[a.category]! > 0)) return false;
    if (lastPurchaseDay !== undefined && lastPurchaseDay >= a.arrivedOn) return false;
    return !(a.sku && profile.recentSkus.includes(a.sku));
  });
  const order = new Map(settings.announcements.map((a, i) => [a.id, i]));
  return eligible.sort(
    (a, b) =>
      profile.categoryAffinity[b.category]! - profile.categoryAffinity[a.category]! ||
      (a.arrivedOn < b.arrivedOn ? 1 : a.arrivedOn > b.arrivedOn ? -1 : 0) ||
      order.get(a.id)! - order.get(b.id)!,
  );
}
