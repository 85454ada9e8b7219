import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhookSignature } from '../../../shared/channels/webhook';

const SECRET = 'whsec-test';
const NOW_MS = Date.parse('2026-06-01T02:00:00Z');
const TS = String(NOW_MS / 1000);
const BODY = '{"messages":[{"id":"k-1","body":"好久不见"}]}';

describe('signWebhook', () => {
  it('is v1= and the hex HMAC-SHA256 of "timestamp.body"', () => {
    const expected = createHmac('sha256', SECRET).update(`${TS}.${BODY}`).digest('hex');

    expect(signWebhook(SECRET, TS, BODY)).toBe(`v1=${expected}`);
  });
});

describe('verifyWebhookSignature', () => {
  const valid = { secret: SECRET, timestamp: TS, signature: signWebhook(SECRET, TS, BODY), body: BODY, now: NOW_MS };

  it('accepts the signature of the exact body and timestamp', () => {
    expect(verifyWebhookSignature(valid)).toBe(true);
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyWebhookSignature({ ...valid, signature: signWebhook('other', TS, BODY) })).toBe(false);
  });

  it('rejects a body changed after signing', () => {
    expect(verifyWebhookSignature({ ...valid, body: BODY.replace('k-1', 'k-2') })).toBe(false);
  });

  it('rejects a signature moved onto another timestamp', () => {
    const later = String(Number(TS) + 1);
    expect(verifyWebhookSignature({ ...valid, timestamp: later })).toBe(false);
  });

  it('rejects a replay older than the tolerance window', () => {
    const old = String(Number(TS) - 301);
    expect(verifyWebhookSignature({ ...valid, timestamp: old, signature: signWebhook(SECRET, old, BODY) })).toBe(false);
  });

  it('accepts a request inside a custom tolerance window', () => {
    const old = String(Number(TS) - 301);
    expect(verifyWebhookSignature({ ...valid, timestamp: old, signature: signWebhook(SECRET, old, BODY), toleranceSeconds: 600 })).toBe(true);
  });

  it('rejects a timestamp too far in the future', () => {
    const future = String(Number(TS) + 301);
    expect(verifyWebhookSignature({ ...valid, timestamp: future, signature: signWebhook(SECRET, future, BODY) })).toBe(false);
  });

  it('accepts any one matching v1 value among several, as during a key rotation', () => {
    const header = `${signWebhook('old-secret', TS, BODY)}, ${signWebhook(SECRET, TS, BODY)}`;
    expect(verifyWebhookSignature({ ...valid, signature: header })).toBe(true);
  });

  it.each([
    ['a missing signature', { signature: undefined }],
    ['a missing timestamp', { timestamp: undefined }],
    ['a non-numeric timestamp', { timestamp: 'yesterday' }],
    ['a signature without the v1= scheme', { signature: signWebhook(SECRET, TS, BODY).slice(3) }],
    ['a truncated signature', { signature: signWebhook(SECRET, TS, BODY).slice(0, -2) }],
  ])('rejects %s', (_name, change) => {
    expect(verifyWebhookSignature({ ...valid, ...change })).toBe(false);
  });
});
