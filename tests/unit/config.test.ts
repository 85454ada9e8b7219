import { describe, it, expect } from 'vitest';
import { CONFIG_ENV, configFromEnv, configOverrides, parseConfig } from '../../shared/config';
import { ConfigError } from '../../shared/errors';

/** The ConfigError `fn` throws; fails the test if it throws nothing or something else. */
function configErrorFrom(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

describe('parseConfig', () => {
  it('fills every section with the defaults the design documents when given nothing', () => {
    // Prepare / Act
    const config = parseConfig({});

    // Assess
    expect(config.dormancy.dormantAfterDaysWithoutPurchase).toBe(180);
    expect(config.dormancy.dormantAfterDaysWithoutActivity).toBe(90);
    expect(config.holdout.share).toBe(0.1);
    expect(config.delivery.quietHours).toEqual({ start: '21:00', end: '09:00' });
    expect(config.delivery.defaultTimezone).toBe('Asia/Shanghai');
    expect(config.delivery.frequencyCaps).toEqual([
      { days: 7, max: 1, campaigns: ['winback'] },
      { days: 30, max: 3 },
    ]);
    expect(config.campaigns.winback.stepDays).toEqual([0, 7, 21]);
    expect(config.locale).toBe('zh-CN');
  });

  it('treats a missing config (undefined) the same as an empty one', () => {
    // Prepare / Act
    const fromUndefined = parseConfig(undefined);

    // Assess
    expect(fromUndefined).toEqual(parseConfig({}));
  });

  it('keeps the defaults of sibling fields when one nested field is overridden', () => {
    // Prepare
    const raw = { holdout: { share: 0.2 }, delivery: { quietHours: { start: '22:00' } } };

    // Act
    const config = parseConfig(raw);

    // Assess
    expect(config.holdout.share).toBe(0.2);
    expect(config.holdout.salt).toBe(parseConfig({}).holdout.salt);
    expect(config.delivery.quietHours).toEqual({ start: '22:00', end: '09:00' });
  });

  it('rejects a holdout share of 2 with a message naming holdout.share', () => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ holdout: { share: 2 } }));

    // Assess
    expect(error.message).toMatch(/holdout\.share/);
  });

  it.each(['9:00', '24:00', '21:60', '9pm'])('rejects the quiet-hours start %s as not HH:MM, naming the field', (start) => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ delivery: { quietHours: { start } } }));

    // Assess
    expect(error.message).toMatch(/delivery\.quietHours\.start: must be HH:MM/);
  });

  it('rejects a medium quantile equal to the high quantile, naming tiers.mediumQuantile', () => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ tiers: { mediumQuantile: 0.6, highQuantile: 0.6 } }));

    // Assess
    expect(error.message).toMatch(/tiers\.mediumQuantile/);
  });

  it('rejects a high quantile set below the default medium quantile', () => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ tiers: { highQuantile: 0.3 } }));

    // Assess
    expect(error.message).toMatch(/mediumQuantile must be below highQuantile/);
  });

  it('rejects a medium threshold at or above the high threshold, naming tiers.mediumThreshold', () => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ tiers: { method: 'threshold', mediumThreshold: 500, highThreshold: 500 } }));

    // Assess
    expect(error.message).toMatch(/tiers\.mediumThreshold/);
  });

  it('rejects an unknown top-level key and names it', () => {
    // Prepare: a common slip, quiet hours put at the top level instead of under delivery.
    const raw = { quietHours: { start: '22:00', end: '08:00' } };

    // Act
    const error = configErrorFrom(() => parseConfig(raw));

    // Assess
    expect(error.message).toMatch(/quietHours/);
  });

  it('rejects an unknown key inside a section instead of silently using the default', () => {
    // Prepare: a typo in a nested key would otherwise leave the 180-day default in force unnoticed.
    const raw = { dormancy: { dormantAfterDaysWithoutPurchse: 90 } };

    // Act
    const error = configErrorFrom(() => parseConfig(raw));

    // Assess
    expect(error.message).toMatch(/dormantAfterDaysWithoutPurchse/);
  });

  it('rejects a time zone that is not an IANA zone', () => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ delivery: { defaultTimezone: 'Mars/Olympus_Mons' } }));

    // Assess
    expect(error.message).toMatch(/delivery\.defaultTimezone: must be an IANA time zone/);
  });

  it('lists every bad field in one message', () => {
    // Prepare
    const raw = { holdout: { share: -0.1 }, queue: { senderBatchSize: 11 }, campaigns: { winback: { stepDays: [] } } };

    // Act
    const error = configErrorFrom(() => parseConfig(raw));

    // Assess
    expect(error.message).toMatch(/holdout\.share/);
    expect(error.message).toMatch(/queue\.senderBatchSize/);
    expect(error.message).toMatch(/campaigns\.winback\.stepDays/);
  });

  it('names the source of the config in the message', () => {
    // Prepare / Act
    const error = configErrorFrom(() => parseConfig({ holdout: { share: 2 } }, 'rewake.config.json'));

    // Assess
    expect(error.message).toMatch(/^Invalid rewake\.config\.json/);
  });
});

describe('configFromEnv', () => {
  it('returns the defaults when REWAKE_CONFIG is not set', () => {
    // Prepare / Act
    const config = configFromEnv({});

    // Assess
    expect(config).toEqual(parseConfig({}));
  });

  it('reads the config from the JSON in REWAKE_CONFIG', () => {
    // Prepare
    const env = { [CONFIG_ENV]: JSON.stringify({ brand: 'Tea House', holdout: { share: 0.25 } }) };

    // Act
    const config = configFromEnv(env);

    // Assess
    expect(config.brand).toBe('Tea House');
    expect(config.holdout.share).toBe(0.25);
    expect(config.delivery.defaultTimezone).toBe('Asia/Shanghai');
  });

  it('fails with a ConfigError when REWAKE_CONFIG is not valid JSON', () => {
    // Prepare
    const env = { [CONFIG_ENV]: '{"brand": "Tea House",' };

    // Act
    const error = configErrorFrom(() => configFromEnv(env));

    // Assess
    expect(error.message).toBe('REWAKE_CONFIG is not valid JSON');
  });

  it('fails naming REWAKE_CONFIG and the field when the JSON is a bad config', () => {
    // Prepare
    const env = { [CONFIG_ENV]: JSON.stringify({ holdout: { share: 2 } }) };

    // Act
    const error = configErrorFrom(() => configFromEnv(env));

    // Assess
    expect(error.message).toMatch(/Invalid REWAKE_CONFIG/);
    expect(error.message).toMatch(/holdout\.share/);
  });
});

describe('configOverrides', () => {
  it('is empty for the defaults, so a default deployment passes "{}" to its functions', () => {
    expect(configOverrides(parseConfig({}))).toEqual({});
  });

  it('keeps exactly what differs, and the defaults rebuild the rest', () => {
    // Prepare
    const config = parseConfig({
      brand: 'Tea House',
      holdout: { share: 0.2 },
      delivery: { quietHours: { start: '22:00' }, channelOrder: ['sms', 'push'] },
      channels: { webhook: { url: 'https://gw.example.cn/send' } },
    });

    // Act
    const overrides = configOverrides(config);

    // Assess: one changed field of a section, arrays whole, an optional section with its defaults dropped
    expect(overrides).toEqual({
      brand: 'Tea House',
      holdout: { share: 0.2 },
      delivery: { quietHours: { start: '22:00' }, channelOrder: ['sms', 'push'] },
      channels: { webhook: { url: 'https://gw.example.cn/send', secretEnv: 'REWAKE_WEBHOOK_SECRET', channels: ['webhook'], maxBatch: 100, timeoutMs: 10_000 } },
    });
    expect(parseConfig(JSON.parse(JSON.stringify(overrides)))).toEqual(config);
  });

  it('keeps an array shortened below its default (arrays are not merged)', () => {
    const config = parseConfig({ delivery: { frequencyCaps: [{ days: 30, max: 2 }] } });
    expect(parseConfig(configOverrides(config))).toEqual(config);
    expect(parseConfig(configOverrides(config)).delivery.frequencyCaps).toHaveLength(1);
  });
});
