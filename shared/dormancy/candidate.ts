import type { Tier } from '../config';
import type { DormancyState, ReasonCode } from './classify';

/** What the scan puts on the candidates queue: one message per (user, campaign, step). */
export interface Candidate {
  userId: string;
  campaign: string;
  step: number;
  /** The scan's as-of day (YYYY-MM-DD) and the instant it scored the user. */
  asOf: string;
  scoredAt: string;
  state: DormancyState;
  tier: Tier;
  reason: ReasonCode;
  /** The value the tier was cut on (predicted lifetime value, or historical spend without a model). */
  value: number;
  holdout: boolean;
  /** Set when quiet hours deferred the message: not to be sent before this instant. */
  notBefore?: string;
}
