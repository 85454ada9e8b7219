import { describe, expect, it } from 'vitest';
import { feedbackEventId, toProfileEvent, type FeedbackAction } from '../../../shared/feedback/actions';
import { applyFeedback } from '../../../shared/feedback/apply';
import { profileUpdate } from '../../fixtures/events';
import { MemoryStores } from './memory-stores';

const SIGNED_UP = '2026-01-02T09:00:00+08:00';
const user = (id: string, email = `${id}@mail.example`) =>
  profileUpdate(id, SIGNED_UP, { channels: { email, sms: '+8613812345678' }, consent: { email: true, sms: true } });

const withdrawEmail = (userId: string, key = 'token-1', at = '2026-03-01T10:00:00.000Z'): FeedbackAction => ({
  userId,
  source: 'unsubscribe',
  change: { kind: 'withdraw_consent', channel: 'email' },
  at,
  idempotencyKey: key,
});

describe('feedback events', () => {
  it('names the event after the source, channel, a hash of the key and the fact count, within the event id rules', () => {
    const id = feedbackEventId(withdrawEmail('u-1', 'a'.repeat(500)), 7);

    expect(id).toMatch(/^unsubscribe\.email\.[0-9a-f]{32}\.7$/);
    expect(id.length).toBeLessThanOrEqual(128);
    expect(feedbackEventId(withdrawEmail('u-1', 'a'.repeat(500)), 7)).toBe(id);
    expect(feedbackEventId(withdrawEmail('u-1', 'b'), 7)).not.toBe(id);
    expect(feedbackEventId(withdrawEmail('u-1', 'a'.repeat(500)), 8)).not.toBe(id);
  });

  it('records a consent withdrawal as consent false and an address removal as null, nothing else', () => {
    const withdraw = toProfileEvent(withdrawEmail('u-1'), 3);
    const remove = toProfileEvent({ ...withdrawEmail('u-1'), source: 'ses_bounce', change: { kind: 'remove_address', channel: 'email' } }, 3);

    expect(withdraw).toMatchObject({ userId: 'u-1', type: 'profile', timestamp: '2026-03-01T10:00:00.000Z', properties: { consent: { email: false } } });
    expect(withdraw.properties).toEqual({ consent: { email: false } });
    expect(remove.properties).toEqual({ channels: { email: null } });
  });
});

describe('applyFeedback', () => {
  it('withdraws consent and folds the profile before returning', async () => {
    const stores = new MemoryStores();
    await stores.seed([user('u-1')]);

    const [result] = await applyFeedback([withdrawEmail('u-1')], stores);

    expect(result!.outcome).toBe('applied');
    expect(stores.profiles.get('u-1')!.consent).toEqual({ email: false, sms: true });
    expect(stores.profiles.get('u-1')!.channels.email).toBe('u-1@mail.example');
  });

  it('writes nothing the second time: consent is already withdrawn', async () => {
    const stores = new MemoryStores();
    await stores.seed([user('u-1')]);
    await applyFeedback([withdrawEmail('u-1')], stores);

    const [again] = await applyFeedback([withdrawEmail('u-1')], stores);

    expect(again!.outcome).toBe('already_in_effect');
    expect(stores.written).toHaveLength(1);
    expect(stores.profiles.get('u-1')!.factCount).toBe(2);
  });

  it('counts a retry after a crash between the write and the fold as a duplicate, and completes the fold', async () => {
    const stores = new MemoryStores();
    await stores.seed([user('u-1')]);
    // The crash: the event is stored, the profile was never folded.
    await stores.ingest([toProfileEvent(withdrawEmail('u-1'), 1)]);

    const [retry] = await applyFeedback([withdrawEmail('u-1')], stores);

    expect(retry!.outcome).toBe('duplicate');
    expect(stores.profiles.get('u-1')!.consent.email).toBe(false);
    expect(stores.facts.get('u-1')!.size).toBe(2);
  });

  it('withdraws again after the user consented again: a later withdrawal is a new event', async () => {
    const stores = new MemoryStores();
    await stores.seed([user('u-1')]);
    await applyFeedback([withdrawEmail('u-1', 'token-1', '2026-03-01T10:00:00.000Z')], stores);
    await stores.seed([profileUpdate('u-1', '2026-04-01T10:00:00+08:00', { consent: { email: true } })]);
    expect(stores.profiles.get('u-1')!.consent.email).toBe(true);

    const [again] = await applyFeedback([withdrawEmail('u-1', 'token-1', '2026-05-01T10:00:00.000Z')], stores);

    expect(again!.outcome).toBe('applied');
    expect(stores.profiles.get('u-1')!.consent.email).toBe(false);
  });

  it('removes a bounced address only while it is still the profile\'s, ignoring case', async () => {
    const stores = new MemoryStores();
    await stores.seed([user('u-1', 'Old@Mail.example'), user('u-2', 'new@mail.example')]);
    const bounce = (userId: string, address: string): FeedbackAction => ({
      userId,
      source: 'ses_bounce',
      change: { kind: 'remove_address', channel: 'email' },
      at: '2026-03-01T10:00:00.000Z',
      idempotencyKey: `ses:${userId}`,
      onlyIfAddress: address,
    });

    const results = await applyFeedback([bounce('u-1', 'old@mail.example'), bounce('u-2', 'old@mail.example')], stores);

    expect(results.map((r) => r.outcome)).toEqual(['applied', 'address_changed']);
    expect(stores.profiles.get('u-1')!.channels).toEqual({ sms: '+8613812345678' });
    expect(stores.profiles.get('u-2')!.channels.email).toBe('new@mail.example');
  });

  it('writes nothing for a deleted user', async () => {
    const stores = new MemoryStores();
    await stores.seed([user('u-1')]);
    stores.deleted.add('u-1');

    const [result] = await applyFeedback([withdrawEmail('u-1')], stores);

    expect(result!.outcome).toBe('deleted_user');
    expect(stores.written).toHaveLength(0);
  });

  it('records the withdrawal for a user with no profile yet, so a later consent must be newer to win', async () => {
    const stores = new MemoryStores();

    const [result] = await applyFeedback([withdrawEmail('u-new')], stores);
    // An app event stamped before the withdrawal does not undo it: latest by event time wins.
    await stores.seed([profileUpdate('u-new', '2026-02-01T10:00:00+08:00', { consent: { email: true } })]);

    expect(result!.outcome).toBe('applied');
    expect(stores.profiles.get('u-new')!.consent.email).toBe(false);
  });
});
