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

describe('renderMessage per campaign', () => {
  const birthdayCoupon: OfferChoice = { id: 'birthday-15', kind: 'coupon', discountPercent: 15, validDays: 14, template: 'birthday', angle: 'birthday' };
  const thanksCoupon: OfferChoice = { id: 'thanks-10', kind: 'coupon', discountPercent: 10, validDays: 14, template: 'anniversary', angle: 'anniversary' };
  const announcement: OfferChoice = { id: 'new-arrivals', kind: 'greeting', discountPercent: 0, validDays: 7, template: 'new_arrivals', angle: 'new_arrivals' };
  const code = { couponCode: 'RWAB3KQ7XZ', expiresOn: '2026-06-16' };

  it('wishes a happy birthday with the birthday coupon in 折, its code and expiry, in a zh-CN SMS', () => {
    // Prepare / Act
    const { title, body } = renderMessage(input({ kind: 'birthday', offer: birthdayCoupon, ...code }));

    // Assess
    expect(title).toBe('茶里：生日快乐');
    expect(body).toBe('【茶里】生日快乐！愿新的一岁一切顺心。送您一张8.5折生日券。券码RWAB3KQ7XZ，2026-06-16前有效。拒收请回复R');
  });

  it('wishes a happy birthday in English email, ending with the unsubscribe line', () => {
    // Prepare / Act
    const { title, body } = renderMessage(input({ kind: 'birthday', locale: 'en', brand: 'Tea House', channel: 'email', offer: birthdayCoupon, ...code }));

    // Assess
    expect(title).toBe('Tea House: happy birthday');
    expect(body).toBe('Happy birthday! Wishing you a wonderful year ahead. Here is a 15% birthday coupon for you. Code RWAB3KQ7XZ, valid until 2026-06-16. You can unsubscribe at any time.');
  });

  it('thanks a member for their years on the anniversary, singular and plural in English', () => {
    // Prepare / Act
    const zh = renderMessage(input({ kind: 'anniversary', channel: 'push', offer: thanksCoupon, years: 3 }));
    const one = renderMessage(input({ kind: 'anniversary', channel: 'push', locale: 'en', offer: thanksCoupon, years: 1 }));
    const two = renderMessage(input({ kind: 'anniversary', channel: 'push', locale: 'en', offer: thanksCoupon, years: 2 }));

    // Assess
    expect(zh.title).toBe('茶里：会员周年快乐');
    expect(zh.body).toBe('会员周年快乐！感谢您3年来的陪伴。送您一张9折感谢券。');
    expect(one.body).toContain('Thank you for 1 year with us.');
    expect(two.body).toContain('Thank you for 2 years with us.');
    expect(two.body).toContain('10% thank-you coupon');
  });

  it('names the announced category in a new-arrivals message, with no discount line for a greeting offer', () => {
    // Prepare / Act
    const zh = renderMessage(input({ kind: 'new_arrivals', offer: announcement, category: '茶具', categories: ['绿茶', '零食'] }));
    const en = renderMessage(input({ kind: 'new_arrivals', locale: 'en', channel: 'push', offer: announcement, category: 'teaware' }));

    // Assess
    expect(zh.title).toBe('茶里：茶具上新');
    expect(zh.body).toBe('【茶里】茶具上新了，快来看看。拒收请回复R');
    expect(en.title).toBe('茶里: new in teaware');
    expect(en.body).toBe('New arrivals in teaware are in.');
  });

  it('announces new arrivals without a category for a user who refused personalisation', () => {
    // Prepare / Act
    const { title, body } = renderMessage(input({ kind: 'new_arrivals', channel: 'push', offer: announcement }));

    // Assess
    expect(title).toBe('茶里：新品上架');
    expect(body).toBe('新品已上架，快来看看。');
  });

  it('renders a message without a campaign kind as win-back', () => {
    // Prepare / Act
    const { title, body } = renderMessage(input({ channel: 'push' }));

    // Assess
    expect(title).toBe('茶里：好久不见');
    expect(body).toBe('好久不见，我们想念您！最近过得好吗？送您一张8折优惠券。');
  });
});
