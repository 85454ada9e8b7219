/**
 * The kinds of campaign Rewake runs, and how a campaign id in the ledger names its kind.
 *
 * A ledger item is keyed by (user, campaign id, step), and "one message per (user, campaign,
 * step)" is exact only if each id is used for exactly one occurrence of a campaign, so the ids
 * carry what makes an occurrence distinct:
 *
 * | kind          | campaign id                          | step        |
 * |---------------|--------------------------------------|-------------|
 * | win-back      | `winback` (episode 1), `winback~2`…  | 0, 1, 2…    |
 * | birthday      | `birthday-2026` (the year celebrated)| 0           |
 * | anniversary   | `anniversary-2026`                   | 0           |
 * | new arrivals  | `new-<announcement id>`              | 0           |
 *
 * (`winback` stands for `campaigns.winback.id`.) Pure: no configuration, no AWS.
 */
export const CAMPAIGN_KINDS = ['winback', 'birthday', 'anniversary', 'new_arrivals'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

/** A yearly campaign's id: the year of the day celebrated. */
export const birthdayCampaignId = (year: number) => `birthday-${year}`;
export const anniversaryCampaignId = (year: number) => `anniversary-${year}`;
export const newArrivalsCampaignId = (announcementId: string) => `new-${announcementId}`;

const BIRTHDAY_ID = /^birthday-\d{4}$/;
const ANNIVERSARY_ID = /^anniversary-\d{4}$/;
const NEW_ARRIVALS_ID = /^new-/;

/**
 * The kind of campaign an id belongs to. Any id that is not a yearly or new-arrivals id is a
 * win-back one: ledger items written before there were other kinds are all win-back.
 */
export function campaignKind(campaignId: string): CampaignKind {
  if (BIRTHDAY_ID.test(campaignId)) return 'birthday';
  if (ANNIVERSARY_ID.test(campaignId)) return 'anniversary';
  if (NEW_ARRIVALS_ID.test(campaignId)) return 'new_arrivals';
  return 'winback';
}

/** True when a configured win-back id could be mistaken for another kind's id or an episode's. */
export function isUsableWinbackId(id: string): boolean {
  return campaignKind(id) === 'winback' && !id.includes('~') && !id.includes('#');
}

/**
 * The campaign name the holdout is drawn on: one per kind, not per occurrence, so a user stays in
 * the same group across win-back episodes, birthdays of different years and announcements. A
 * user held out of win-back then never receives a win-back message, and the comparison measures
 * the programme as a whole rather than mixing users who were treated in an earlier episode into
 * a later episode's control group. Episode 1 keeps drawing on the plain win-back id, as it always has.
 */
export function holdoutCampaign(kind: CampaignKind, winbackId: string): string {
  switch (kind) {
    case 'winback':
      return winbackId;
    case 'birthday':
      return 'birthday';
    case 'anniversary':
      return 'anniversary';
    case 'new_arrivals':
      return 'new-arrivals';
  }
}

/** The holdout campaign of a ledger campaign id (e.g. `winback~2` → `winback`, `birthday-2026` → `birthday`). */
export const holdoutCampaignOf = (campaignId: string, winbackId: string) => holdoutCampaign(campaignKind(campaignId), winbackId);
