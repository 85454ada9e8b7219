import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryChannel, DeliveryOutcome, OutgoingMessage } from '../../../shared/channels/channel';
import { ChannelRouter, ensureRefusalLine, sendEach } from '../../../shared/channels/router';
import type { Channel } from '../../../shared/config';
import { logger } from '../../../shared/observability';

/** A provider that records each call and answers `sent` (or throws, or forgets a message). */
class FakeProvider implements DeliveryChannel {
  readonly calls: OutgoingMessage[][] = [];
  constructor(
    readonly channels: readonly Channel[],
    private readonly behaviour: { throws?: Error; forget?: string } = {},
  ) {}

  async send(messages: OutgoingMessage[]): Promise<DeliveryOutcome[]> {
    this.calls.push(messages);
    if (this.behaviour.throws) throw this.behaviour.throws;
    return messages.filter((m) => m.key !== this.behaviour.forget).map((m) => ({ key: m.key, result: 'sent', status: `SENT_BY_${this.channels.join('_')}` }));
  }
}

const message = (key: string, channel: Channel): OutgoingMessage => ({
  key,
  userId: `user-${key}`,
  campaign: 'winback',
  step: 0,
  channel,
  address: channel === 'email' ? `${key}@mail.example` : '+8613900000000',
  title: 't',
  body: 'b',
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ChannelRouter', () => {
  it('serves the union of the channels it routes', () => {
    // Prepare
    const router = new ChannelRouter({ push: new FakeProvider(['push']), email: new FakeProvider(['email']), sms: new FakeProvider(['sms', 'webhook']) });

    // Act / Assess
    expect([...router.channels].sort()).toEqual(['email', 'push', 'sms']);
  });

  it('calls each provider once, with only the messages of its channel', async () => {
    // Prepare
    const push = new FakeProvider(['push']);
    const email = new FakeProvider(['email']);
    const sms = new FakeProvider(['sms']);
    const router = new ChannelRouter({ push, email, sms });

    // Act
    await router.send([message('a', 'email'), message('b', 'push'), message('c', 'email'), message('d', 'sms')]);

    // Assess
    expect(push.calls.map((c) => c.map((m) => m.key))).toEqual([['b']]);
    expect(email.calls.map((c) => c.map((m) => m.key))).toEqual([['a', 'c']]);
    expect(sms.calls.map((c) => c.map((m) => m.key))).toEqual([['d']]);
  });

  it('gives a provider that serves two channels all of its messages in one call', async () => {
    // Prepare
    const pinpoint = new FakeProvider(['push', 'sms']);
    const router = new ChannelRouter({ push: pinpoint, sms: pinpoint, email: new FakeProvider(['email']) });

    // Act
    await router.send([message('a', 'push'), message('b', 'email'), message('c', 'sms')]);

    // Assess
    expect(pinpoint.calls.map((c) => c.map((m) => m.key))).toEqual([['a', 'c']]);
  });

  it('merges every provider’s outcomes, one per message', async () => {
    // Prepare
    const router = new ChannelRouter({ push: new FakeProvider(['push']), email: new FakeProvider(['email']) });

    // Act
    const outcomes = await router.send([message('a', 'email'), message('b', 'push')]);

    // Assess
    expect(outcomes.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'a', result: 'sent', status: 'SENT_BY_email' },
      { key: 'b', result: 'sent', status: 'SENT_BY_push' },
    ]);
  });

  it('retries only the failing provider’s messages when one provider throws', async () => {
    // Prepare
    const failure = Object.assign(new Error('gateway down'), { name: 'WebhookError' });
    const email = new FakeProvider(['email']);
    const router = new ChannelRouter({ email, sms: new FakeProvider(['sms'], { throws: failure }) });

    // Act
    const outcomes = await router.send([message('a', 'email'), message('b', 'sms'), message('c', 'sms'), message('d', 'email')]);

    // Assess
    expect(email.calls).toHaveLength(1);
    expect(outcomes.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: 'a', result: 'sent', status: 'SENT_BY_email' },
      { key: 'b', result: 'retry', status: 'WebhookError' },
      { key: 'c', result: 'retry', status: 'WebhookError' },
      { key: 'd', result: 'sent', status: 'SENT_BY_email' },
    ]);
  });

  it('logs a provider failure without addresses or the provider’s error text', async () => {
    // Prepare
    const warn = vi.spyOn(logger, 'warn');
    const router = new ChannelRouter({ email: new FakeProvider(['email'], { throws: new Error('rejected a@mail.example') }) });

    // Act
    await router.send([message('a', 'email')]);

    // Assess
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(warn.mock.calls)).not.toContain('mail.example');
  });

  it('retries a message the provider gave no outcome for', async () => {
    // Prepare
    const router = new ChannelRouter({ email: new FakeProvider(['email'], { forget: 'b' }) });

    // Act
    const outcomes = await router.send([message('a', 'email'), message('b', 'email')]);

    // Assess
    expect(outcomes).toContainEqual({ key: 'b', result: 'retry', status: 'MISSING' });
    expect(outcomes).toHaveLength(2);
  });

  it('retries a message on a channel nobody routes, without calling any provider', async () => {
    // Prepare
    const email = new FakeProvider(['email']);
    const router = new ChannelRouter({ email });

    // Act
    const outcomes = await router.send([message('a', 'push')]);

    // Assess
    expect(email.calls).toHaveLength(0);
    expect(outcomes).toEqual([{ key: 'a', result: 'retry', status: 'NO_PROVIDER' }]);
  });

  it('makes no provider call for an empty batch', async () => {
    // Prepare
    const email = new FakeProvider(['email']);

    // Act
    const outcomes = await new ChannelRouter({ email }).send([]);

    // Assess
    expect(outcomes).toEqual([]);
    expect(email.calls).toHaveLength(0);
  });

  it('refuses a provider routed to a channel it does not serve', () => {
    expect(() => new ChannelRouter({ sms: new FakeProvider(['email']) })).toThrow(/'sms'/);
  });

  it('refuses to be built with no providers', () => {
    expect(() => new ChannelRouter({})).toThrow(/at least one/);
  });
});

describe('sendEach', () => {
  const messages = ['a', 'b', 'c', 'd', 'e'].map((k) => message(k, 'email'));

  it('keeps at most `concurrency` calls in flight and answers in input order', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const sendOne = async (m: OutgoingMessage) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return { outcome: { key: m.key, result: 'sent', status: 'OK' } as DeliveryOutcome };
    };

    // Act
    const outcomes = await sendEach(messages, 2, sendOne);

    // Assess
    expect(peak).toBe(2);
    expect(outcomes.map((o) => o.key)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('starts no new call after a halting result and retries the rest with its status', async () => {
    // Prepare
    const attempted: string[] = [];
    const sendOne = async (m: OutgoingMessage) => {
      attempted.push(m.key);
      return m.key === 'b'
        ? { outcome: { key: m.key, result: 'retry', status: 'AccountSuspendedException' } as DeliveryOutcome, halt: true }
        : { outcome: { key: m.key, result: 'sent', status: 'OK' } as DeliveryOutcome };
    };

    // Act
    const outcomes = await sendEach(messages, 1, sendOne);

    // Assess
    expect(attempted).toEqual(['a', 'b']);
    expect(outcomes.map((o) => [o.key, o.result, o.status])).toEqual([
      ['a', 'sent', 'OK'],
      ['b', 'retry', 'AccountSuspendedException'],
      ['c', 'retry', 'AccountSuspendedException'],
      ['d', 'retry', 'AccountSuspendedException'],
      ['e', 'retry', 'AccountSuspendedException'],
    ]);
  });

  it('turns an error that escapes the per-message send into a retry of that message only', async () => {
    // Prepare
    const sendOne = async (m: OutgoingMessage) => {
      if (m.key === 'c') throw new RangeError('boom');
      return { outcome: { key: m.key, result: 'sent', status: 'OK' } as DeliveryOutcome };
    };

    // Act
    const outcomes = await sendEach(messages, 3, sendOne);

    // Assess
    expect(outcomes.filter((o) => o.result === 'retry')).toEqual([{ key: 'c', result: 'retry', status: 'RangeError' }]);
  });
});

describe('ensureRefusalLine', () => {
  it('leaves a Chinese SMS that already ends with 拒收请回复R as it is', () => {
    expect(ensureRefusalLine('【茶里】好久不见。拒收请回复R')).toBe('【茶里】好久不见。拒收请回复R');
  });

  it('appends 拒收请回复R to a Chinese SMS without it', () => {
    expect(ensureRefusalLine('【茶里】好久不见。')).toBe('【茶里】好久不见。拒收请回复R');
  });

  it('appends the STOP line to an English SMS without it', () => {
    expect(ensureRefusalLine('[Tea] Long time no see.')).toBe('[Tea] Long time no see. Reply STOP to opt out');
  });

  it('drops trailing whitespace so the body really ends with the refusal line', () => {
    expect(ensureRefusalLine('【茶里】好久不见。拒收请回复R \n')).toBe('【茶里】好久不见。拒收请回复R');
  });
});
