import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config';
import { channelFromConfig } from '../../../functions/send/handler';
import { PinpointChannel } from '../../../shared/channels/pinpoint';
import { EumSmsChannel } from '../../../shared/channels/sms';
import { SesEmailChannel } from '../../../shared/channels/ses';
import { WebhookChannel } from '../../../shared/channels/webhook';

const env = { PINPOINT_APPLICATION_ID: 'a'.repeat(32), REWAKE_UNSUBSCRIBE_SECRET: 's', REWAKE_WEBHOOK_SECRET: 'w' };
describe('choosing providers from the configuration', () => {
  it('sends push and SMS through Pinpoint by default', () => {
    const r = channelFromConfig(parseConfig({}), env);
    expect(r.channels).toEqual(['push', 'sms']);
    expect(r.providerFor('sms')).toBeInstanceOf(PinpointChannel);
  });
  it('sends email through SES and SMS through End User Messaging when configured', () => {
    const r = channelFromConfig(parseConfig({ channels: { ses: { fromAddress: 'a@b.example', unsubscribeBaseUrl: 'https://b.example/u' }, sms: { originationIdentity: 'pool-1' } } }), env);
    expect([...r.channels].sort()).toEqual(['email', 'push', 'sms']);
    expect(r.providerFor('sms')).toBeInstanceOf(EumSmsChannel);
    expect(r.providerFor('email')).toBeInstanceOf(SesEmailChannel);
  });
  it('sends SMS through the webhook when a domestic provider is configured', () => {
    const r = channelFromConfig(parseConfig({ channels: { webhook: { url: 'https://gw.example/send', channels: ['sms', 'webhook'] } } }), env);
    expect(r.providerFor('sms')).toBeInstanceOf(WebhookChannel);
    expect(r.providerFor('webhook')).toBe(r.providerFor('sms'));
  });
  it('refuses SMS on two providers at once and an unsubscribe link without https', () => {
    expect(() => parseConfig({ channels: { sms: { originationIdentity: 'p' }, webhook: { url: 'https://gw.example', channels: ['sms'] } } })).toThrow(/not both/);
    expect(() => parseConfig({ channels: { ses: { fromAddress: 'a@b.example', unsubscribeBaseUrl: 'http://b.example/u' } } })).toThrow(/https/);
  });
  it('needs the secret env', () => {
    expect(() => channelFromConfig(parseConfig({ channels: { webhook: { url: 'https://gw.example/send' } } }), { PINPOINT_APPLICATION_ID: 'a'.repeat(32) })).toThrow(/REWAKE_WEBHOOK_SECRET/);
  });
});
