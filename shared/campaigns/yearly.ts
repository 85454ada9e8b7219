/**
 * Yearly campaigns: a birthday offer from `profile.birthday`, and a membership-anniversary thank-you
 * from `profile.registeredAt` (or the first purchase when the user never registered). Each is due
 * from `leadDays` days before the day through the day itself, judged in the user's time zone, and
 * its campaign id carries the year celebrated, so it goes out at most once a year.
 *
 * A day that the year lacks (29 February outside leap years, or a bad 31st) is celebrated on the
 * month's last day: 28 February.
 */
import { dayIn } from '../clock';
import type { Profile } from '../profiles/aggregate';
import { anniversaryCampaignId, birthdayCampaignId } from './kinds';

export interface YearlySettings {
  leadDays: number;
}

export interface Occasion {
  campaign: string;
  /** The day celebrated this time, YYYY-MM-DD in the user's time zone. */
  on: string;
}

export interface Anniversary extends Occasion {
  /** Whole years of membership on that day (1 for the first anniversary). */
  years: number;
}

const DAY_MS = 86_400_000;
const BIRTHDAY = /^(?:\d{4}|-)-(\d{2})-(\d{2})$/;

/** The birthday due for the user on `now`, if today is within its window. */
export function birthdayOccasion(profile: Profile, now: Date, settings: YearlySettings, defaultTimezone: string): Occasion | undefined {
  const match = profile.birthday ? BIRTHDAY.exec(profile.birthday) : null;
  if (!match) return undefined;
  const today = dayIn(now, profile.timezone ?? defaultTimezone);
  const occurrence = yearlyOccurrence(Number(match[1]), Number(match[2]), today, settings.leadDays);
  return occurrence && { campaign: birthdayCampaignId(occurrence.year), on: occurrence.on };
}

/** The membership anniversary due for the user on `now`, if today is within its window and it is at least the first. */
export function anniversaryOccasion(profile: Profile, now: Date, settings: YearlySettings, defaultTimezone: string): Anniversary | undefined {
  const since = profile.registeredAt ?? profile.firstPurchaseAt;
  if (!since) return undefined;
  const timezone = profile.timezone ?? defaultTimezone;
  const joined = dayIn(new Date(since), timezone);
  const [joinedYear, month, day] = joined.split('-').map(Number) as [number, number, number];
  const occurrence = yearlyOccurrence(month, day, dayIn(now, timezone), settings.leadDays);
  if (!occurrence) return undefined;
  const years = occurrence.year - joinedYear;
  if (years < 1) return undefined;
  return { campaign: anniversaryCampaignId(occurrence.year), on: occurrence.on, years };
}

/**
 * The occurrence of month/day that falls within [today, today + leadDays], if any: this year's,
 * or next year's when the window crosses New Year (a 1 January birthday seen on 30 December).
 */
export function yearlyOccurrence(month: number, day: number, today: string, leadDays: number): { year: number; on: string } | undefined {
  if (month < 1 || month > 12 || day < 1) return undefined;
  const year = Number(today.slice(0, 4));
  for (const candidate of [year, year + 1]) {
    const on = isoDay(candidate, month, Math.min(day, daysInMonth(candidate, month)));
    const daysAhead = (Date.parse(on) - Date.parse(today)) / DAY_MS;
    if (daysAhead >= 0 && daysAhead <= leadDays) return { year: candidate, on };
  }
  return undefined;
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const isoDay = (year: number, month: number, day: number) => `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
