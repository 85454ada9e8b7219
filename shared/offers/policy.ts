/**
 * Offer policy (seed §3.1–3.3): campaign × tier × reason × step → offer. In win-back, high value
 * gets VIP care, medium a coupon, low a broad promotion, and each later step of the cadence
 * escalates the discount a little, because a user who ignored the first message needs a better
 * reason. Birthday, anniversary and new arrivals have one offer each (`offers.byCampaign`): a
 * birthday coupon, a thank-you coupon, an announcement without discount; rules naming
 * `when.campaign` can still vary them by tier or reason.
 */
import type { CampaignKind } from '../campaigns/kinds';
import type { Offer, RewakeConfig, Tier } from '../config';
import type { ReasonCode } from '../dormancy/classify';

export interface OfferChoice extends Offer {
  /** The discount after escalation for this step. */
  discountPercent: number;
  /**
   * What the message is about beside the offer: in win-back, what the likely cause calls for;
   * in the other campaigns, the occasion itself.
   */
  angle: 'apology' | 'recommendations' | 'new_arrivals' | 'content' | 'miss_you' | 'birthday' | 'anniversary';
}

/** Extra percentage points per step after the first, capped so escalation stays sane. */
const ESCALATION_POINTS_PER_STEP = 5;
const MAX_ESCALATED_DISCOUNT = 50;

export function chooseOffer(tier: Tier, reason: ReasonCode, step: number, offers: RewakeConfig['offers'], campaign: CampaignKind = 'winback'): OfferChoice {
  // A rule without a campaign is a win-back rule: the rules predate the other campaigns.
  const rule = offers.rules.find(
    ({ when }) => (when.campaign ?? 'winback') === campaign && (when.tier ?? tier) === tier && (when.reason ?? reason) === reason && (when.step ?? step) === step,
  );
  const offer = rule?.offer ?? (campaign === 'winback' ? offers.byTier[tier] : offers.byCampaign[campaign]);
  const escalated = offer.discountPercent > 0 ? offer.discountPercent + ESCALATION_POINTS_PER_STEP * step : 0;
  // Escalation stops at the cap, but never lowers what the operator configured.
  const discountPercent = Math.max(offer.discountPercent, Math.min(MAX_ESCALATED_DISCOUNT, escalated));
  return { ...offer, discountPercent, angle: campaign === 'winback' ? angleFor(reason) : campaign };
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
