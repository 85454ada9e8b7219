import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { auditOutbox, type AuditConfig, type AuditedMessage, type AuditLedgerRecord, type AuditRule } from '../../../shared/delivery/audit';
import type { RewakeEvent } from '../../../shared/events/schema';
import { isHoldout } from '../../../shared/measure/holdout';
import { factsOf, profileUpdate } from '../../fixtures/builders';

// Defaults: quiet hours 21:00–09:00 in Asia/Shanghai, caps 1 per 7 days and 3 per 30, 10% holdout.
const CONFIG: AuditConfig = defaultConfig();
/** 14:00 in Shanghai (UTC+8, no DST), 23:00 the evening before in Los Angeles (UTC−7 in June). */
const SEND = '2026-06-01T06:00:00.000Z';
const JOINED = '2026-01-01T10:00:00+08:00';
const ZH_SMS = '【Rewake Shop】好久不见，我们想念您！送您一张9折优惠券。拒收请回复R';
const EN_SMS = '[Rewake Shop] Long time no see, we miss you! Reply STOP to opt out';
const PUSH = '好久不见，我们想念您！';
const EMAIL_ZH = '好久不见，我们想念您！如不想再收到此类邮件，可随时退订。';

interface Person {
  userId: string;
  events: RewakeEvent[];
  ledger: AuditLedgerRecord[];
  deletedAt?: string;
  phone: string;
}

let people = 0;
/** A consenting user in Shanghai with sms, push and email; treated unless `heldOut`. */
function person(name: string, profile: { locale?: 'zh-CN' | 'en'; timezone?: string; heldOut?: boolean } = {}): Person {
  const wanted = profile.heldOut ?? false;
  const userId = Array.from({ length: 200 }, (_, i) => `${name}-${i}`).find((id) => isHoldout(id, 'winback', CONFIG.holdout) === wanted)!;
  const phone = `+86138${String(++people).padStart(8, '0')}`;
  const events = [
    profileUpdate(
      JOINED,
      {
        timezone: profile.timezone ?? 'Asia/Shanghai',
        locale: profile.locale ?? 'zh-CN',
        channels: { sms: phone, push: `fcm:token-${userId}`, email: `${userId}@example.com` },
        consent: { sms: true, push: true, email: true },
      },
      { userId },
    ),
  ];
  return { userId, events, ledger: [], phone };
}

/** Adds a profile event to the person's history. */
function later(p: Person, timestamp: string, properties: Extract<RewakeEvent, { type: 'profile' }>['properties']): void {
  p.events.push(profileUpdate(timestamp, properties, { userId: p.userId }));
}

interface SendOptions {
  step?: number;
  campaign?: string;
  at?: string;
  channel?: 'sms' | 'push' | 'email' | 'webhook';
  body?: string;
  deliveryStatus?: string;
  /** Leave the ledger alone (to build a ledger that disagrees with the outbox). */
  ledger?: false;
}

/** A message the provider accepted, and the ledger's `sent` record of it. */
function sent(p: Person, opts: SendOptions = {}): AuditedMessage {
  const { step = 0, campaign = 'winback', at = SEND, channel = 'sms' } = opts;
  const address = channel === 'sms' || channel === 'webhook' ? p.phone : channel === 'push' ? `token-${p.userId}` : `${p.userId}@example.com`;
  const body = opts.body ?? (channel === 'sms' || channel === 'webhook' ? ZH_SMS : channel === 'email' ? EMAIL_ZH : PUSH);
  if (opts.ledger !== false) p.ledger.push({ campaign, step, status: 'sent', at, holdout: false });
  return {
    userId: p.userId,
    campaign,
    step,
    channel,
    address,
    body,
    deliveryStatus: opts.deliveryStatus ?? 'SUCCESSFUL',
    receivedAt: new Date(Date.parse(at) + 1000).toISOString(),
  };
}

function audit(persons: Person[], messages: AuditedMessage[], config: AuditConfig = CONFIG) {
  const users = Object.fromEntries(persons.map((p) => [p.userId, { facts: factsOf(p.events), ledger: p.ledger, deletedAt: p.deletedAt }]));
  return auditOutbox({ messages, users, config });
}

const broken = (result: ReturnType<typeof audit>) => result.violations.map((v) => [v.rule, v.userId, v.step]);
const only = (rule: AuditRule, p: Person, step = 0) => [[rule, p.userId, step]];

describe('auditOutbox on a clean outbox', () => {
  it('passes a consenting user messaged once in the afternoon, and says what it checked', () => {
    // Prepare
    const li = person('li');

    // Act
    const result = audit([li], [sent(li)]);

    // Assess
    expect(result.violations).toEqual([]);
    expect(result.messages).toBe(1);
    expect(result.checked).toEqual({
      consent: 1,
      opt_out: 1,
      deleted: 1,
      holdout: 1,
      quiet_hours: 1,
      frequency_cap: 2, // one message, two caps
      unique: 1,
      refusal_line: 1,
      unsubscribe: 0,
      ledger: 1,
    });
  });

  it('ignores what the provider did not deliver, and counts DUPLICATE as delivered', () => {
    // Prepare: a throttled retry, then the delivery; another user's message answered DUPLICATE.
    const li = person('li');
    const wang = person('wang');
    later(wang, '2026-05-01T10:00:00+08:00', { consent: { sms: false } });
    const throttled = sent(li, { deliveryStatus: 'THROTTLED', ledger: false });

    // Act
    const result = audit([li, wang], [throttled, sent(li), sent(wang, { deliveryStatus: 'DUPLICATE' })]);

    // Assess
    expect(result.messages).toBe(2);
    expect(result.notDelivered).toBe(1);
    expect(broken(result)).toEqual(only('consent', wang));
  });
});

describe('auditOutbox catches each rule', () => {
  it('consent: a channel the user never consented to', () => {
    const li = person('li');
    later(li, '2026-02-01T10:00:00+08:00', { channels: { webhook: 'wx-openid' } });
    const message: AuditedMessage = { ...sent(li), channel: 'webhook', address: 'wx-openid' };

    expect(broken(audit([li], [message]))).toEqual(only('consent', li));
  });

  it('consent: withdrawn before the send is a violation, withdrawn after it is not', () => {
    const before = person('before');
    const after = person('after');
    later(before, '2026-06-01T13:00:00+08:00', { consent: { sms: false } });
    later(after, '2026-06-01T15:00:00+08:00', { consent: { sms: false } });

    const result = audit([before, after], [sent(before), sent(after)]);

    expect(broken(result)).toEqual(only('consent', before));
    expect(result.violations[0]!.detail).toContain('no consent for sms');
  });

  it('consent: an address the user had replaced before the send', () => {
    const li = person('li');
    later(li, '2026-03-01T10:00:00+08:00', { channels: { sms: '+8613999999999' } });

    const result = audit([li], [sent(li)]);

    expect(broken(result)).toEqual(only('consent', li));
    expect(result.violations[0]!.detail).not.toContain(li.phone);
  });

  it('consent: a user with no facts at all', () => {
    const li = person('li');
    li.events = [];

    expect(broken(audit([li], [sent(li)]))).toEqual(only('consent', li));
  });

  it('opt_out: opted out before the send, but not when the opt-out came after', () => {
    const before = person('before');
    const after = person('after');
    later(before, '2026-05-20T10:00:00+08:00', { optOut: true });
    later(after, '2026-06-02T10:00:00+08:00', { optOut: true });

    expect(broken(audit([before, after], [sent(before), sent(after)]))).toEqual(only('opt_out', before));
  });

  it('deleted: delivered after the erasure', () => {
    const li = person('li');
    const message = sent(li);
    // Erasure takes facts and ledger with it and leaves the marker.
    li.events = [];
    li.ledger = [];
    li.deletedAt = new Date(Date.parse(message.receivedAt) - 60_000).toISOString();

    const result = audit([li], [message]);

    expect(broken(result)).toEqual(only('deleted', li));
  });

  it('deleted: a ledger claim that outlived the erasure, whatever the clocks say', () => {
    const li = person('li');
    const message = sent(li);
    li.events = [];
    li.deletedAt = new Date(Date.parse(message.receivedAt) + 60_000).toISOString();

    expect(broken(audit([li], [message]))).toEqual(only('deleted', li));
  });

  it('deleted: a message sent before the erasure is no violation, and the rules its facts fed are skipped', () => {
    const li = person('li');
    const message = sent(li);
    li.events = [];
    li.ledger = [];
    li.deletedAt = new Date(Date.parse(message.receivedAt) + 60_000).toISOString();

    const result = audit([li], [message]);

    expect(result.violations).toEqual([]);
    expect(result.skipped).toMatchObject({ consent: 1, opt_out: 1, quiet_hours: 1, frequency_cap: 1, ledger: 1 });
    expect(result.checked).toMatchObject({ deleted: 1, holdout: 1, unique: 1, refusal_line: 1, consent: 0 });
  });

  it('holdout: the ledger recorded the candidate in the holdout', () => {
    const li = person('li');
    const message = sent(li);
    li.ledger[0]!.holdout = true;

    expect(broken(audit([li], [message]))).toEqual(only('holdout', li));
  });

  it('holdout: the user hashes into the holdout even though the ledger says otherwise', () => {
    const held = person('held', { heldOut: true });

    expect(broken(audit([held], [sent(held)]))).toEqual(only('holdout', held));
  });

  it('holdout: drawn once per kind, so a later win-back episode of a held-out user is caught', () => {
    const held = person('held', { heldOut: true });

    expect(broken(audit([held], [sent(held, { campaign: 'winback~2' })]))).toEqual(only('holdout', held));
  });

  it("holdout: a birthday message is judged on the birthday draw, not the win-back one", () => {
    const held = person('held', { heldOut: true });
    // Precondition: held out of win-back, but the birthday draw (another hash) treats this user.
    expect(isHoldout(held.userId, 'birthday', CONFIG.holdout)).toBe(false);

    expect(broken(audit([held], [sent(held, { campaign: 'birthday-2026' })]))).toEqual([]);
  });

  it.each([
    ['22:30 in Shanghai', '2026-06-01T14:30:00.000Z', true],
    ['21:00 in Shanghai, the first quiet minute', '2026-06-01T13:00:00.000Z', true],
    ['08:59 in Shanghai', '2026-06-01T00:59:00.000Z', true],
    ['09:00 in Shanghai, the first open minute', '2026-06-01T01:00:00.000Z', false],
    ['20:59 in Shanghai', '2026-06-01T12:59:00.000Z', false],
  ])('quiet_hours: %s', (_, at, quiet) => {
    const li = person('li');

    const result = audit([li], [sent(li, { at })]);

    expect(broken(result)).toEqual(quiet ? only('quiet_hours', li) : []);
  });

  it("quiet_hours: judged in the user's own time zone, not the default one", () => {
    const la = person('la', { timezone: 'America/Los_Angeles' });
    const laMorning = person('la-morning', { timezone: 'America/Los_Angeles' });

    // 14:00 in Shanghai is 23:00 in Los Angeles; 17:00 UTC is 10:00 there (01:00 in Shanghai).
    const result = audit([la, laMorning], [sent(la), sent(laMorning, { at: '2026-06-01T17:00:00.000Z' })]);

    expect(broken(result)).toEqual(only('quiet_hours', la));
    expect(result.violations[0]!.detail).toContain('23:00 in America/Los_Angeles');
  });

  it('frequency_cap: a second message three days after the first breaks 1 per 7 days', () => {
    const li = person('li');

    const result = audit([li], [sent(li), sent(li, { step: 1, at: '2026-06-04T06:00:00.000Z' })]);

    expect(broken(result)).toEqual(only('frequency_cap', li, 1));
  });

  it('frequency_cap: exactly seven days later is allowed, as the sender counts the window', () => {
    const li = person('li');

    expect(audit([li], [sent(li), sent(li, { step: 1, at: '2026-06-08T06:00:00.000Z' })]).violations).toEqual([]);
  });

  it('frequency_cap: a fourth message within 30 days breaks 3 per 30, though each is a week apart', () => {
    const li = person('li');
    const weekly = ['2026-06-01', '2026-06-08', '2026-06-15', '2026-06-22'].map((day, step) => sent(li, { step, at: `${day}T06:00:00.000Z` }));

    expect(broken(audit([li], weekly))).toEqual(only('frequency_cap', li, 3));
  });

  it('frequency_cap: two messages at the same instant count together', () => {
    const li = person('li');

    expect(broken(audit([li], [sent(li), sent(li, { step: 1 })]))).toEqual(only('frequency_cap', li, 1));
  });

  it('frequency_cap: a cap scoped to some campaign kinds counts only those', () => {
    const li = person('li');
    const config: AuditConfig = { ...CONFIG, delivery: { ...CONFIG.delivery, frequencyCaps: [{ days: 7, max: 1, campaigns: ['winback'] }] } };
    const birthday = sent(li, { campaign: 'birthday-2026', at: '2026-06-02T06:00:00.000Z' });
    const winbackAgain = sent(li, { step: 1, at: '2026-06-03T06:00:00.000Z' });

    expect(broken(audit([li], [sent(li), birthday], config))).toEqual([]);
    expect(broken(audit([li], [sent(li), birthday, winbackAgain], config))).toEqual(only('frequency_cap', li, 1));
  });

  it('unique: the same (user, campaign, step) delivered twice', () => {
    const li = person('li');
    const first = sent(li);

    const result = audit([li], [first, { ...first, receivedAt: '2026-06-01T06:05:00.000Z' }]);

    // Two messages reached the user in one week, so the cap is broken as well.
    expect(broken(result)).toEqual([...only('unique', li), ...only('frequency_cap', li)]);
    expect(result.violations[0]!.detail).toBe('delivered 2 times');
  });

  it('refusal_line: a Chinese SMS without 「拒收请回复R」', () => {
    const li = person('li');

    expect(broken(audit([li], [sent(li, { body: '【Rewake Shop】好久不见，我们想念您！' })]))).toEqual(only('refusal_line', li));
  });

  it("refusal_line: judged in the user's locale: an English user needs 'Reply STOP to opt out'", () => {
    const wrong = person('wrong', { locale: 'en' });
    const right = person('right', { locale: 'en' });

    expect(broken(audit([wrong, right], [sent(wrong, { body: ZH_SMS }), sent(right, { body: EN_SMS })]))).toEqual(only('refusal_line', wrong));
  });

  it('refusal_line: a webhook message (domestic SMS, WeChat) needs it too; push does not', () => {
    const li = person('li');
    later(li, '2026-02-01T10:00:00+08:00', { channels: { webhook: li.phone }, consent: { webhook: true } });

    const result = audit([li], [sent(li, { channel: 'webhook', body: PUSH }), sent(li, { step: 1, channel: 'push', at: '2026-06-10T06:00:00.000Z' })]);

    expect(broken(result)).toEqual(only('refusal_line', li));
  });

  it('unsubscribe: an email without an unsubscribe line', () => {
    const li = person('li');
    const withLine = sent(li, { channel: 'email' });
    const without = sent(li, { step: 1, channel: 'email', body: PUSH, at: '2026-06-10T06:00:00.000Z' });

    const result = audit([li], [withLine, without]);

    expect(broken(result)).toEqual(only('unsubscribe', li, 1));
    expect(result.checked.unsubscribe).toBe(2);
  });

  it('ledger: a delivered message the ledger does not know, or says was suppressed', () => {
    const unknown = person('unknown');
    const suppressed = person('suppressed');
    const message = sent(suppressed);
    suppressed.ledger[0]!.status = 'suppressed';

    expect(broken(audit([unknown, suppressed], [sent(unknown, { ledger: false }), message]))).toEqual([
      ['ledger', unknown.userId, 0],
      ['ledger', suppressed.userId, 0],
    ]);
  });

  it('ledger: a message that names no user', () => {
    const li = person('li');

    const result = audit([li], [{ ...sent(li), userId: null }]);

    expect(result.violations).toEqual([{ rule: 'ledger', userId: null, campaign: 'winback', step: 0, detail: expect.stringContaining('no userId') }]);
  });

  it('counts a settled-late send (ledger still `sending` after a crash) at its claim instant', () => {
    const li = person('li');
    const first = sent(li);
    li.ledger[0]!.status = 'sending';

    const result = audit([li], [first, sent(li, { step: 1, at: '2026-06-03T06:00:00.000Z' })]);

    expect(broken(result)).toEqual(only('frequency_cap', li, 1));
  });
});
