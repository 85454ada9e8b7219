/**
 * Message rendering, zh-CN by default and en, one copy per campaign kind: win-back greets with the
 * seed's "好久不见" (long time no see), birthday with 生日快乐, the membership anniversary with
 * thanks for the years, new arrivals names the category. Every marketing SMS ends with a refusal
 * line (MIIT rules: 「拒收请回复R」), every email with an unsubscribe line, whatever the campaign.
 */
import type { CampaignKind } from '../campaigns/kinds';
import type { Channel, Locale } from '../config';
import type { OfferChoice } from './policy';

export interface RenderInput {
  brand: string;
  locale: Locale;
  channel: Channel;
  offer: OfferChoice;
  /** The campaign the message belongs to; absent: win-back. */
  kind?: CampaignKind;
  couponCode?: string;
  /** Coupon expiry, YYYY-MM-DD. */
  expiresOn?: string;
  /** Category names to mention, e.g. the user's favourites. */
  categories?: string[];
  /** New arrivals: the announced category (leave out for users who refused personalisation). */
  category?: string;
  /** Anniversary: whole years of membership. */
  years?: number;
  /**
   * Recommended products (skus), best first, from the item-to-item model; non-personalised
   * (popular) ones for users who refused personalisation. The first few are named in the text.
   */
  recommendations?: string[];
}

/** How many recommended products a message names: a short SMS stays one or two segments. */
export const RECOMMENDATIONS_IN_TEXT = 3;

export interface RenderedMessage {
  title: string;
  body: string;
}

export const SMS_REFUSAL: Record<Locale, string> = { 'zh-CN': '拒收请回复R', en: 'Reply STOP to opt out' };
export const EMAIL_UNSUBSCRIBE: Record<Locale, string> = { 'zh-CN': '如不想再收到此类邮件，可随时退订。', en: 'You can unsubscribe at any time.' };

type Copy = {
  title: Record<CampaignKind, (i: RenderInput) => string>;
  greeting: Record<CampaignKind, (i: RenderInput) => string>;
  angle: Record<OfferChoice['angle'], (i: RenderInput) => string>;
  offer: Record<OfferChoice['kind'], (i: RenderInput) => string>;
  /** What a coupon is called in each campaign: a birthday coupon, a thank-you coupon. */
  couponName: Record<CampaignKind, string>;
  coupon: (i: RenderInput) => string;
};

/** The announced category, else at most two of the given ones. */
const cats = (i: RenderInput, sep: string) => (i.category ? [i.category] : (i.categories ?? []).slice(0, 2)).join(sep);
const kindOf = (i: RenderInput): CampaignKind => i.kind ?? 'winback';

const COPY: Record<Locale, Copy> = {
  'zh-CN': {
    title: {
      winback: (i) => `${i.brand}：好久不见`,
      birthday: (i) => `${i.brand}：生日快乐`,
      anniversary: (i) => `${i.brand}：会员周年快乐`,
      new_arrivals: (i) => (i.category ? `${i.brand}：${i.category}上新` : `${i.brand}：新品上架`),
    },
    greeting: {
      winback: () => '好久不见，我们想念您！',
      birthday: () => '生日快乐！',
      anniversary: () => '会员周年快乐！',
      new_arrivals: () => '',
    },
    angle: {
      apology: () => '上次的体验没有让您满意，我们很抱歉，也一直在改进。',
      recommendations: (i) => (cats(i, '、') ? `为您挑选了${cats(i, '、')}的好物。` : '为您挑选了几件可能喜欢的好物。'),
      new_arrivals: (i) => (cats(i, '、') ? `${cats(i, '、')}上新了，快来看看。` : '新品已上架，快来看看。'),
      content: () => '这段时间我们准备了不少新内容，等您回来。',
      miss_you: () => '最近过得好吗？',
      birthday: () => '愿新的一岁一切顺心。',
      anniversary: (i) => (i.years ? `感谢您${i.years}年来的陪伴。` : '感谢您一直以来的陪伴。'),
    },
    offer: {
      vip_discount: (i) => `作为尊贵会员，您专享${zhe(i.offer.discountPercent)}优惠，专属顾问随时为您服务。`,
      coupon: (i) => `送您一张${zhe(i.offer.discountPercent)}${COPY['zh-CN'].couponName[kindOf(i)]}。`,
      promotion: (i) => `全场促销进行中${i.offer.discountPercent ? `，低至${zhe(i.offer.discountPercent)}` : ''}。`,
      greeting: () => '',
    },
    couponName: { winback: '优惠券', birthday: '生日券', anniversary: '感谢券', new_arrivals: '优惠券' },
    coupon: (i) => (i.couponCode ? `券码${i.couponCode}${i.expiresOn ? `，${i.expiresOn}前有效` : ''}。` : ''),
  },
  en: {
    title: {
      winback: (i) => `${i.brand}: long time no see`,
      birthday: (i) => `${i.brand}: happy birthday`,
      anniversary: (i) => `${i.brand}: happy anniversary`,
      new_arrivals: (i) => (i.category ? `${i.brand}: new in ${i.category}` : `${i.brand}: new arrivals`),
    },
    greeting: {
      winback: () => 'Long time no see, we miss you!',
      birthday: () => 'Happy birthday!',
      anniversary: () => 'Happy membership anniversary!',
      new_arrivals: () => '',
    },
    angle: {
      apology: () => "We're sorry your last experience fell short, and we've been working on it.",
      recommendations: (i) => (cats(i, ' and ') ? `We picked some ${cats(i, ' and ')} favourites for you.` : 'We picked a few things you may like.'),
      new_arrivals: (i) => (cats(i, ' and ') ? `New arrivals in ${cats(i, ' and ')} are in.` : 'New arrivals are in.'),
      content: () => "We've added plenty of new things while you were away.",
      miss_you: () => 'How have you been?',
      birthday: () => 'Wishing you a wonderful year ahead.',
      anniversary: (i) => (i.years ? `Thank you for ${i.years} ${i.years === 1 ? 'year' : 'years'} with us.` : 'Thank you for being with us.'),
    },
    offer: {
      vip_discount: (i) => `As a valued member, enjoy an exclusive ${i.offer.discountPercent}% off, and your personal advisor is here for you.`,
      coupon: (i) => `Here is a ${i.offer.discountPercent}% ${COPY.en.couponName[kindOf(i)]} for you.`,
      promotion: (i) => `Our sale is on${i.offer.discountPercent ? `, up to ${i.offer.discountPercent}% off` : ''}.`,
      greeting: () => '',
    },
    couponName: { winback: 'coupon', birthday: 'birthday coupon', anniversary: 'thank-you coupon', new_arrivals: 'coupon' },
    coupon: (i) => (i.couponCode ? `Code ${i.couponCode}${i.expiresOn ? `, valid until ${i.expiresOn}` : ''}.` : ''),
  },
};

/** 20% off is "8折" in Chinese retail: the share you pay, in tenths. */
function zhe(discountPercent: number): string {
  return `${Number(((100 - discountPercent) / 10).toFixed(1))}折`;
}

export function renderMessage(input: RenderInput): RenderedMessage {
  const copy = COPY[input.locale];
  const zh = input.locale === 'zh-CN';
  const kind = kindOf(input);
  const picks = (input.recommendations ?? []).slice(0, RECOMMENDATIONS_IN_TEXT);
  const picked = picks.length === 0 ? '' : zh ? `推荐：${picks.join('、')}。` : `Picked for you: ${picks.join(', ')}.`;
  const parts = [copy.greeting[kind](input), copy.angle[input.offer.angle](input), copy.offer[input.offer.kind](input), copy.coupon(input), picked].filter(Boolean);
  let body = parts.join(zh ? '' : ' ');
  // Webhook providers in mainland China are domestic SMS and WeChat: the same refusal rules apply.
  if (input.channel === 'sms' || input.channel === 'webhook') {
    // Domestic SMS rules: the sender's signature first, a way to refuse last.
    body = zh ? `【${input.brand}】${body}${SMS_REFUSAL[input.locale]}` : `[${input.brand}] ${body} ${SMS_REFUSAL[input.locale]}`;
  } else if (input.channel === 'email') {
    body = `${body}${zh ? '' : ' '}${EMAIL_UNSUBSCRIBE[input.locale]}`;
  }
  return { title: copy.title[kind](input), body };
}
