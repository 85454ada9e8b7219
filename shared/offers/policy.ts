/**
 * Offer policy (seed §3.1–3.3): tier × reason × campaign step → offer. High value gets VIP care,
 * medium a coupon, low a broad promotion; each later step of the win-back cadence escalates the
 * discount a little, because a user who ignored the first message needs a better reason.
 */
import type { Offer, RewakeConfig, Tier } from '../config';
import type { ReasonCode } from '../dormancy/classify';

export interface OfferChoice extends Offer {
  /** The discount after escalation for this step. */
  discountPercent: number;
  /** Which message the reason calls for, beside the offer. */
  angle: 'apology' | 'recommendations' | 'new_arrivals' | 'content' | 'miss_you';
}

/** Extra percentage points per step after the first, capped so escalation stays sane. */
const ESCALATION_POINTS_PER_STEP = 5;
const MAX_ESCALATED_DISCOUNT = 50;

export function chooseOffer(tier: Tier, reason: ReasonCode, step: number, offers: RewakeConfig['offers']): OfferChoice {
  const rule = offers.rules.find(({ when }) => (when.tier ?? tier) === tier && (when.reason ?? reason) === reason && (when.step ?? step) === step);
  const offer = rule?.offer ?? offers.byTier[tier];
  const escalated = offer.discountPercent > 0 ? offer.discountPercent + ESCALATION_POINTS_PER_STEP * step : 0;
  // Escalation stops at the cap, but never lowers what the operator configured.
  const discountPercent = Math.max(offer.discountPercent, Math.min(MAX_ESCALATED_DISCOUNT, escalated));
  return { ...offer, discountPercent, angle: angleFor(reason) };
}

function angleFor(reason: ReasonCode): OfferChoice['angle'] {
  switch (reason) {
    case 'service_issue':
      return 'apology';
    case 'still_browsing':
      return 'recommendations';
    case 'no_novelty':
      return 'new_arrivals';
    case 'fading_engagement':
      return 'content';
    case 'unknown':
      return 'miss_you';
  }
}
