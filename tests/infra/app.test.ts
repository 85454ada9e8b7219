import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { defineRewakeApp } from '../../infra/aws/app';
import { STACK_ID } from '../../infra/aws/rewake-stack';
import { defaultConfig, parseConfig } from '../../shared/config';
import { FAST_APP_PROPS } from './helpers';

const outdir = mkdtempSync(join(tmpdir(), 'rewake-cdk-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('the CDK app', () => {
  it('passes the cdk-nag AwsSolutions checks, every finding fixed or acknowledged in code', () => {
    const app = new App({ ...FAST_APP_PROPS, outdir });
    defineRewakeApp(app, defaultConfig());
    // A finding that is neither fixed nor acknowledged makes synth throw with the report.
    const assembly = app.synth();
    expect(assembly.getStackByName(STACK_ID).template.Resources).toBeDefined();
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
    const violations = report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations);
    expect(violations).toEqual([]);
  });

  it.each([
    ['stack-owned configuration sets and generated keys', { ses: { fromAddress: 'Shop <hi@shop.example>', unsubscribeBaseUrl: 'https://a.example/v1/unsubscribe' }, sms: { originationIdentity: 'pool-0a1b' }, webhook: { url: 'https://gw.example.cn/send' } }],
    ['named configuration sets, imported keys and a sender id', { ses: { fromAddress: 'hi@shop.example', configurationSet: 'mail', unsubscribeBaseUrl: 'https://a.example/v1/unsubscribe', unsubscribeSecretName: 'rewake/unsub' }, sms: { originationIdentity: 'ShopSender', configurationSet: 'sms' } }],
  ])('passes the cdk-nag checks with the SES, SMS and webhook channels deployed: %s', (name, channels) => {
    const app = new App({ ...FAST_APP_PROPS, outdir: join(outdir, name.replace(/\W+/g, '-')) });
    defineRewakeApp(app, parseConfig({ channels }));
    app.synth();
    const report = JSON.parse(readFileSync(join(outdir, name.replace(/\W+/g, '-'), 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations: unknown[] }) => r.violations)).toEqual([]);
  });

  it('fails synth on a cdk-nag finding nobody acknowledged', () => {
    const app = new App({ ...FAST_APP_PROPS, outdir: join(outdir, 'unacknowledged') });
    const stack = defineRewakeApp(app, defaultConfig());
    new Queue(stack, 'QueueWithoutDeadLetters');
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
  });
});
