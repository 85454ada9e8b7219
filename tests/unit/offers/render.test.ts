import { describe, it, expect } from 'vitest';
import type { Locale } from '../../../shared/config';
import type { OfferChoice } from '../../../shared/offers/policy';
import { renderMessage, type RenderInput } from '../../../shared/offers/render';

const coupon = (discountPercent: number, angle: OfferChoice['angle'] = 'miss_you'): OfferChoice => ({
  id: 'coupon-x',
  kind: 'coupon',
  discountPercent,
  validDays: 14,
  template: 'coupon',
  angle,
});

const input = (overrides: Partial<RenderInput> = {}): RenderInput => ({
  brand: '茶里',
  locale: 'zh-CN',
  channel: 'sms',
  offer: coupon(20),
  ...overrides,
});

describe('renderMessage', () => {
  it('starts a zh-CN SMS with the brand signature in 【】 and ends it with the refusal line', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'sms', locale: 'zh-CN' }));

    // Assess
    expect(body.startsWith('【茶里】')).toBe(true);
    expect(body.endsWith('拒收请回复R')).toBe(true);
  });

  it('ends an English SMS with the STOP line and signs it with the brand', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'sms', locale: 'en', brand: 'Tea House' }));

    // Assess
    expect(body.startsWith('[Tea House]')).toBe(true);
    expect(body.endsWith('Reply STOP to opt out')).toBe(true);
  });

  it.each(['zh-CN', 'en'] as const)('ends a %s email with the unsubscribe line', (locale: Locale) => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'email', locale }));

    // Assess
    expect(body).toMatch(locale === 'en' ? /You can unsubscribe at any time\.$/ : /可随时退订。$/);
  });

  it.each([
    [20, '8折'],
    [10, '9折'],
    [15, '8.5折'],
    [50, '5折'],
  ])('renders %s%% off as %s in Chinese', (discount, zhe) => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'push', offer: coupon(discount) }));

    // Assess
    expect(body).toContain(`${zhe}优惠券`);
  });

  it('renders the discount as a percentage in English', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'push', locale: 'en', offer: coupon(20) }));

    // Assess
    expect(body).toContain('20% coupon');
  });

  it('includes the coupon code and its expiry when given', () => {
    // Prepare
    const given = { couponCode: 'WB-7K2P', expiresOn: '2026-12-09' };

    // Act
    const zh = renderMessage(input(given)).body;
    const en = renderMessage(input({ ...given, locale: 'en' })).body;

    // Assess
    expect(zh).toContain('券码WB-7K2P，2026-12-09前有效');
    expect(en).toContain('Code WB-7K2P, valid until 2026-12-09');
  });

  it('mentions no code when none is given', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ expiresOn: '2026-12-09' }));

    // Assess
    expect(body).not.toContain('券码');
    expect(body).not.toContain('2026-12-09');
  });

  it('greets with 好久不见 in the title and body, and names the brand in the title', () => {
    // Prepare / Act
    const { title, body } = renderMessage(input({ channel: 'push' }));

    // Assess
    expect(title).toBe('茶里：好久不见');
    expect(body.startsWith('好久不见')).toBe(true);
  });

  it('apologises to a user who left after a service issue', () => {
    // Prepare / Act
    const zh = renderMessage(input({ channel: 'push', offer: coupon(10, 'apology') })).body;
    const en = renderMessage(input({ channel: 'push', locale: 'en', offer: coupon(10, 'apology') })).body;

    // Assess
    expect(zh).toContain('抱歉');
    expect(en).toContain("We're sorry");
  });

  it('names at most two of the given categories in recommendations', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'push', offer: coupon(10, 'recommendations'), categories: ['绿茶', '茶具', '零食'] }));

    // Assess
    expect(body).toContain('绿茶、茶具');
    expect(body).not.toContain('零食');
  });

  it('recommends without naming categories when none are given (no personalisation)', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'push', locale: 'en', offer: coupon(10, 'recommendations'), categories: [] }));

    // Assess
    expect(body).toContain('We picked a few things you may like.');
  });

  it('announces new arrivals in the user’s categories for a user short of novelty', () => {
    // Prepare / Act
    const { body } = renderMessage(input({ channel: 'push', locale: 'en', offer: coupon(10, 'new_arrivals'), categories: ['green tea'] }));

    // Assess
    expect(body).toContain('New arrivals in green tea');
  });

  it('offers a VIP discount with personal service to high-value users', () => {
    // Prepare
    const vip: OfferChoice = { ...coupon(20), kind: 'vip_discount' };

    // Act
    const { body } = renderMessage(input({ channel: 'push', offer: vip }));

    // Assess
    expect(body).toContain('专享8折');
    expect(body).toContain('专属顾问');
  });
});
