import type { CampaignKind } from '../campaigns/kinds';
import type { Tier } from '../config';
import type { DormancyState, ReasonCode } from './classify';

/**
 * What the scan puts on the candidates queue: one message per (user, campaign, step). The
 * campaign fields are optional so that messages queued before other campaigns existed still
 * read as what they are: win-back.
 */
export interface Candidate {
  userId: string;
  campaign: string;
  step: number;
  /** Absent: win-back. */
  kind?: CampaignKind;
  /** The scan's as-of day (YYYY-MM-DD) and the instant it scored the user. */
  asOf: string;
  scoredAt: string;
  state: DormancyState;
  tier: Tier;
  reason: ReasonCode;
  /** The value the tier was cut on (predicted lifetime value, or historical spend without a model). */
  value: number;
  holdout: boolean;
  /** New arrivals: the announcement's category (named in the message) and sku. */
  category?: string;
  sku?: string;
  /** Anniversary: whole years of membership. */
  years?: number;
  /** Birthday and anniversary: the day celebrated, YYYY-MM-DD in the user's time zone. */
  occasionOn?: string;
  /** Set when quiet hours deferred the message: not to be sent before this instant. */
  notBefore?: string;
}
