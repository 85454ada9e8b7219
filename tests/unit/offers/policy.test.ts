import { describe, it, expect } from 'vitest';
import { defaultConfig, parseConfig } from '../../../shared/config';
import { chooseOffer } from '../../../shared/offers/policy';

const OFFERS = defaultConfig().offers; // high: VIP 20%, medium: coupon 10%, low: promotion 5%

describe('chooseOffer', () => {
  it.each([
    ['high', 'vip_discount'],
    ['medium', 'coupon'],
    ['low', 'promotion'],
  ] as const)('gives the %s tier a %s offer', (tier, kind) => {
    // Prepare / Act
    const offer = chooseOffer(tier, 'unknown', 0, OFFERS);

    // Assess
    expect(offer.kind).toBe(kind);
    expect(offer.id).toBe(OFFERS.byTier[tier].id);
  });

  it('uses the configured offer of the tier, template and validity included', () => {
    // Prepare
    const offers = parseConfig({
      offers: { byTier: { medium: { id: 'tea-15', kind: 'coupon', discountPercent: 15, validDays: 10, template: 'tea' } } },
    }).offers;

    // Act
    const offer = chooseOffer('medium', 'unknown', 0, offers);

    // Assess
    expect(offer).toMatchObject({ id: 'tea-15', kind: 'coupon', discountPercent: 15, validDays: 10, template: 'tea' });
  });

  it('escalates the discount by five points for each later step', () => {
    // Prepare / Act
    const discounts = [0, 1, 2].map((step) => chooseOffer('medium', 'unknown', step, OFFERS).discountPercent);

    // Assess
    expect(discounts).toEqual([10, 15, 20]);
  });

  it('caps the escalated discount at 50%', () => {
    // Prepare / Act
    const discount = chooseOffer('high', 'unknown', 20, OFFERS).discountPercent;

    // Assess
    expect(discount).toBe(50);
  });

  it('never escalates an offer that carries no discount', () => {
    // Prepare
    const offers = parseConfig({
      offers: { byTier: { low: { id: 'hello', kind: 'greeting', discountPercent: 0, template: 'greeting' } } },
    }).offers;

    // Act
    const discount = chooseOffer('low', 'unknown', 2, offers).discountPercent;

    // Assess
    expect(discount).toBe(0);
  });

  it('keeps a configured discount above the escalation cap at the first step instead of lowering it', () => {
    // Prepare: the config allows up to 90% off; an operator chose 60% for VIPs.
    const offers = parseConfig({
      offers: { byTier: { high: { id: 'vip-60', kind: 'vip_discount', discountPercent: 60, template: 'vip' } } },
    }).offers;

    // Act
    const discount = chooseOffer('high', 'unknown', 0, offers).discountPercent;

    // Assess
    expect(discount).toBe(60);
  });

  it.each([
    ['service_issue', 'apology'],
    ['still_browsing', 'recommendations'],
    ['no_novelty', 'new_arrivals'],
    ['fading_engagement', 'content'],
    ['unknown', 'miss_you'],
  ] as const)('answers the likely cause %s with the %s angle', (reason, angle) => {
    // Prepare / Act
    const offer = chooseOffer('medium', reason, 0, OFFERS);

    // Assess
    expect(offer.angle).toBe(angle);
  });
});

describe('offer rules by tier × reason × step', () => {
  it('gives medium- and low-value users who left after a service problem the care coupon by default', () => {
    const offers = defaultConfig().offers;

    expect(chooseOffer('medium', 'service_issue', 0, offers)).toMatchObject({ id: 'care-15', discountPercent: 15, angle: 'apology' });
    expect(chooseOffer('low', 'service_issue', 1, offers)).toMatchObject({ id: 'care-15', discountPercent: 20 });
    expect(chooseOffer('high', 'service_issue', 0, offers).id).toBe('vip-20');
    expect(chooseOffer('medium', 'unknown', 0, offers).id).toBe('coupon-10');
  });

  it('takes the first matching rule, a missing field matching anything', () => {
    const offers = parseConfig({
      offers: {
        rules: [
          { when: { step: 2 }, offer: { id: 'last-call', kind: 'coupon', discountPercent: 30, template: 'coupon' } },
          { when: { reason: 'still_browsing' }, offer: { id: 'browse-back', kind: 'coupon', discountPercent: 12, template: 'coupon' } },
        ],
      },
    }).offers;

    expect(chooseOffer('low', 'still_browsing', 2, offers).id).toBe('last-call');
    expect(chooseOffer('low', 'still_browsing', 0, offers).id).toBe('browse-back');
    expect(chooseOffer('low', 'unknown', 0, offers).id).toBe('promo-general');
  });

  it('rejects a rule naming an unknown reason', () => {
    expect(() => parseConfig({ offers: { rules: [{ when: { reason: 'bored' }, offer: { id: 'x', kind: 'coupon', template: 'coupon' } }] } })).toThrow(/offers\.rules\.0\.when\.reason/);
  });
});

describe('offers of the other campaigns', () => {
  it.each([
    ['birthday', 'birthday-15', 'coupon', 15, 'birthday'],
    ['anniversary', 'thanks-10', 'coupon', 10, 'anniversary'],
    ['new_arrivals', 'new-arrivals', 'greeting', 0, 'new_arrivals'],
  ] as const)('gives the %s campaign its own offer (%s), whatever the tier', (campaign, id, kind, discount, angle) => {
    // Prepare / Act
    const offers = (['high', 'medium', 'low'] as const).map((tier) => chooseOffer(tier, 'unknown', 0, OFFERS, campaign));

    // Assess
    for (const offer of offers) expect(offer).toMatchObject({ id, kind, discountPercent: discount, angle });
  });

  it('does not apply the win-back care rule to a birthday, because a rule without a campaign is a win-back rule', () => {
    // Prepare / Act
    const birthday = chooseOffer('medium', 'service_issue', 0, OFFERS, 'birthday');

    // Assess
    expect(birthday.id).toBe('birthday-15');
  });

  it('lets a rule naming a campaign vary its offer by tier', () => {
    // Prepare
    const offers = parseConfig({
      offers: { rules: [{ when: { campaign: 'birthday', tier: 'high' }, offer: { id: 'vip-birthday-25', kind: 'vip_discount', discountPercent: 25, template: 'birthday' } }] },
    }).offers;

    // Act
    const vip = chooseOffer('high', 'unknown', 0, offers, 'birthday');
    const medium = chooseOffer('medium', 'unknown', 0, offers, 'birthday');
    const winback = chooseOffer('high', 'unknown', 0, offers);

    // Assess
    expect(vip).toMatchObject({ id: 'vip-birthday-25', discountPercent: 25, angle: 'birthday' });
    expect(medium.id).toBe('birthday-15');
    expect(winback.id).toBe('vip-20');
  });

  it('treats a call without a campaign as win-back, as the sender did before there were others', () => {
    expect(chooseOffer('medium', 'unknown', 1, OFFERS)).toEqual(chooseOffer('medium', 'unknown', 1, OFFERS, 'winback'));
  });
});
