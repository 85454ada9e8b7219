/**
 * When several campaigns are due for one user on the same scan, one is enqueued and the others
 * wait for a later scan: `campaigns.priority` orders the kinds (default birthday > anniversary >
 * win-back > new arrivals). The yearly ones come first because they are bound to a date: a
 * birthday offer a week late is no birthday offer, while a win-back step that waits a day loses
 * nothing (its cadence counts from entry). New arrivals come last: it is the lightest message,
 * and win-back already speaks of novelty to users whose cause is `no_novelty`.
 *
 * A campaign under way also outranks the kinds below it on the days it sends nothing: while a
 * user's win-back episode runs, new-arrival announcements wait, so they never take the frequency
 * cap's room from the episode's later, better offers.
 */
import type { CampaignKind } from './kinds';

export interface DueCampaign {
  kind: CampaignKind;
  campaign: string;
  step: number;
  /** New arrivals: the announcement's category and sku. */
  category?: string;
  sku?: string;
  /** Anniversary: whole years of membership. */
  years?: number;
  /** Birthday and anniversary: the day celebrated (YYYY-MM-DD, the user's time zone). */
  occasionOn?: string;
}

export interface Outranked {
  due: DueCampaign;
  /** The campaign id that took precedence. */
  by: string;
}

export interface Ranked {
  chosen?: DueCampaign;
  outranked: Outranked[];
}

/**
 * The due campaign to enqueue and the ones that wait. `underWay` names campaigns running for the
 * user that send nothing today; they block the kinds ranked below them. Kinds missing from
 * `priority` are disabled and never chosen.
 */
export function rankDue(due: readonly DueCampaign[], priority: readonly CampaignKind[], underWay: readonly { kind: CampaignKind; campaign: string }[] = []): Ranked {
  const rank = (kind: CampaignKind) => {
    const at = priority.indexOf(kind);
    return at < 0 ? Number.POSITIVE_INFINITY : at;
  };
  const enabled = due.filter((d) => rank(d.kind) < Number.POSITIVE_INFINITY).sort((a, b) => rank(a.kind) - rank(b.kind));
  const blocker = underWay
    .filter((u) => rank(u.kind) < Number.POSITIVE_INFINITY && !due.some((d) => d.campaign === u.campaign))
    .sort((a, b) => rank(a.kind) - rank(b.kind))[0];
  const ranked: Ranked = { outranked: [] };
  for (const d of enabled) {
    if (!ranked.chosen && (!blocker || rank(d.kind) < rank(blocker.kind))) ranked.chosen = d;
    else ranked.outranked.push({ due: d, by: ranked.chosen?.campaign ?? blocker!.campaign });
  }
  return ranked;
}
