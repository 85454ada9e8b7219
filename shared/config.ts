/**
 * Rewake's one typed configuration: thresholds, tiers, offers, caps, quiet hours, holdout share,
 * channels and schedules. Defaults run the local demo; a deployment overrides what it needs in
 * `rewake.config.json` (or the file named by REWAKE_CONFIG_FILE / cdk context `rewakeConfig`).
 *
 * The same schema validates at `cdk synth`, at local start-up and at Lambda cold start, so a bad
 * value fails early with a message naming the field, never half-way through a send.
 */
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { isTimeZone } from './clock';
import { CAMPAIGN_KINDS, isUsableWinbackId } from './campaigns/kinds';
import { REASONS } from './dormancy/reasons';
import { EVENT_TYPES, type EventType } from './events/schema';
import { ConfigError } from './errors';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
const timezone = z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Asia/Shanghai');
/** A Secrets Manager secret name: letters, digits and /_+=.@- (up to 512). */
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name');

export const CHANNELS = ['push', 'sms', 'email', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

export const TIERS = ['high', 'medium', 'low'] as const;
export type Tier = (typeof TIERS)[number];

export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const isoDay = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be a day, YYYY-MM-DD');
const allDistinct = (values: readonly string[]) => new Set(values).size === values.length;

/** Birthday and anniversary: due from `leadDays` before the day through the day, in the user's time zone. */
const yearlyCampaignSchema = z.strictObject({
  leadDays: z.number().int().min(0).max(30).default(3),
  /** 'all': every user not lost, active ones included (ordinary CRM); 'candidates': at-risk and dormant only. */
  audience: z.enum(['all', 'candidates']).default('all'),
});

const offerSchema = z.strictObject({
  /** Stable id used in reports: which offer a user got. */
  id: z.string().min(1),
  kind: z.enum(['vip_discount', 'coupon', 'promotion', 'greeting']),
  /** Percentage off, where the offer carries one. */
  discountPercent: z.number().min(0).max(90).default(0),
  /** Days a coupon stays valid after the send. */
  validDays: z.number().int().min(1).max(365).default(14),
  /** Template id in shared/offers/templates.ts. */
  template: z.string().min(1),
});
export type Offer = z.infer<typeof offerSchema>;

export const configSchema = z.strictObject({
    /** Brand name used in messages. */
    brand: z.string().min(1).default('Rewake Shop'),
    locale: z.enum(LOCALES).default('zh-CN'),
    events: z.strictObject({
        /** Days raw events are kept (DynamoDB TTL). Profiles keep their aggregates for good. */
        retentionDays: z.number().int().min(1).max(3650).default(400),
        maxEventsPerRequest: z.number().int().min(1).max(1000).default(500),
        maxBodyBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(1024 * 1024),
        /** Bytes of one event's JSON: keeps every stored item far below DynamoDB's 400 KB. */
        maxEventBytes: z.number().int().min(1024).max(256 * 1024).default(32 * 1024),
      })
      .prefault({}),
    dormancy: z.strictObject({
        /** Dormant: no purchase for this many days (the seed's example is 180). */
        dormantAfterDaysWithoutPurchase: z.number().int().min(1).default(180),
        /** Dormant: no activity of any kind for this many days. */
        dormantAfterDaysWithoutActivity: z.number().int().min(1).default(90),
        /** Lost: no purchase for this many days; past the point where win-back is worth a message. */
        lostAfterDaysWithoutPurchase: z.number().int().min(1).default(540),
        /** At risk: days since last purchase exceed k × the user's own median inter-purchase interval. */
        atRiskCycleMultiple: z.number().min(1).default(2),
        /** ...and the user's own cycle counts once they have at least this many purchase days. */
        minPurchaseDaysForCycle: z.number().int().min(2).default(3),
        /** Never flag anyone at risk sooner than this many days after their last purchase. */
        minDaysBeforeAtRisk: z.number().int().min(1).default(30),
      })
      .prefault({}),
    model: z.strictObject({
        /** Score users with the fitted BTYD models (P(alive), lifetime value). Off: rules alone. */
        enabled: z.boolean().default(true),
        /** Model time unit, in days (weeks, as in the BTYD literature). */
        periodDays: z.number().int().min(1).max(31).default(7),
        /** Fewer repeat customers than this and the rules alone decide. */
        minRepeatCustomers: z.number().int().min(10).default(50),
        /** Dormant when P(alive) falls below this, even before the day thresholds... */
        pAliveDormantBelow: z.number().gt(0).lt(1).default(0.3),
        /** ...and at risk below this. */
        pAliveAtRiskBelow: z.number().gt(0).lt(1).default(0.6),
        /** The model may only call a user dormant or at risk this long after their last purchase. */
        minDaysSincePurchase: z.number().int().min(1).default(30),
        /** Horizon of "expected purchases" in the report, in days. */
        horizonDays: z.number().int().min(1).default(90),
        /** Lifetime value: expected spend over this many months, discounted monthly. */
        clvMonths: z.number().int().min(1).max(120).default(12),
        monthlyDiscountRate: z.number().min(0).max(0.5).default(0.01),
        /** A stored fit older than this is not used. */
        maxAgeDays: z.number().int().min(1).default(35),
      })
      .prefault({})
      .refine((m) => m.pAliveDormantBelow < m.pAliveAtRiskBelow, {
        message: 'pAliveDormantBelow must be below pAliveAtRiskBelow',
        path: ['pAliveDormantBelow'],
      }),
    tiers: z.strictObject({
        /** 'quantile': cut points are quantiles of the dormant population's value; 'threshold': fixed amounts. */
        method: z.enum(['quantile', 'threshold']).default('quantile'),
        highQuantile: z.number().gt(0).lt(1).default(0.8),
        mediumQuantile: z.number().gt(0).lt(1).default(0.4),
        highThreshold: z.number().min(0).default(500),
        mediumThreshold: z.number().min(0).default(100),
      })
      .prefault({})
      .refine((t) => t.mediumQuantile < t.highQuantile, {
        message: 'mediumQuantile must be below highQuantile',
        path: ['mediumQuantile'],
      })
      .refine((t) => t.mediumThreshold < t.highThreshold, {
        message: 'mediumThreshold must be below highThreshold',
        path: ['mediumThreshold'],
      }),
    holdout: z.strictObject({
        /** Share of candidates kept as an untouched control group, per campaign. */
        share: z.number().min(0).max(0.5).default(0.1),
        /** Changing the salt reshuffles who is in the holdout; keep it fixed for a campaign's life. */
        salt: z.string().min(1).default('rewake-holdout-v1'),
      })
      .prefault({}),
    campaigns: z.strictObject({
        winback: z.strictObject({
            id: z
              .string()
              .min(1)
              .max(48)
              .refine(isUsableWinbackId, 'must not contain ~ or #, nor look like a birthday-YYYY, anniversary-YYYY or new-… id')
              .default('winback'),
            /** Days after entering the campaign at which each step is sent. */
            stepDays: z.array(z.number().int().min(0)).min(1).default([0, 7, 21]),
            /** Days after an episode ends (the user returned, or its last step) before they may enter again. */
            cooldownDays: z.number().int().min(0).default(90),
          })
          .prefault({}),
        birthday: yearlyCampaignSchema.prefault({}),
        /** From registration (or the first purchase), from the first anniversary on. */
        anniversary: yearlyCampaignSchema.prefault({}),
        /** Announcements of new arrivals, for at-risk and dormant users who like the category. */
        newArrivals: z.strictObject({
            /** Days from `arrivedOn` during which an announcement may go out; outlasts a 21-day win-back episode. */
            windowDays: z.number().int().min(1).max(365).default(30),
            announcements: z
              .array(
                z.strictObject({
                  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'must be 1-40 of a-z, 0-9 and -'),
                  category: z.string().min(1).max(64),
                  sku: z.string().min(1).max(64).optional(),
                  arrivedOn: isoDay,
                }),
              )
              .default([])
              .refine((list) => allDistinct(list.map((a) => a.id)), 'announcement ids must be unique'),
          })
          .prefault({}),
        /** Which campaign wins when several are due on one scan (docs/design.md); a kind left out never runs. */
        priority: z.array(z.enum(CAMPAIGN_KINDS)).default(['birthday', 'anniversary', 'winback', 'new_arrivals']).refine(allDistinct, 'must not repeat a kind'),
      })
      .prefault({}),
    offers: z.strictObject({
        /** Offer per value tier (seed §3.3): VIP care for high value, coupons for medium, promotion for low. */
        byTier: z.strictObject({
            high: offerSchema.default({ id: 'vip-20', kind: 'vip_discount', discountPercent: 20, validDays: 30, template: 'vip' }),
            medium: offerSchema.default({ id: 'coupon-10', kind: 'coupon', discountPercent: 10, validDays: 14, template: 'coupon' }),
            low: offerSchema.default({ id: 'promo-general', kind: 'promotion', discountPercent: 5, validDays: 7, template: 'promotion' }),
          })
          .prefault({}),
        /** Offer of each campaign other than win-back, whatever the tier (rules with `when.campaign` may vary it). */
        byCampaign: z.strictObject({
            birthday: offerSchema.default({ id: 'birthday-15', kind: 'coupon', discountPercent: 15, validDays: 14, template: 'birthday' }),
            anniversary: offerSchema.default({ id: 'thanks-10', kind: 'coupon', discountPercent: 10, validDays: 14, template: 'anniversary' }),
            new_arrivals: offerSchema.default({ id: 'new-arrivals', kind: 'greeting', discountPercent: 0, validDays: 7, template: 'new_arrivals' }),
          })
          .prefault({}),
        /**
         * Exceptions to `byTier` / `byCampaign`, campaign × tier × reason × step: the first rule whose
         * `when` matches wins (an absent field matches anything; an absent campaign means win-back).
         * Default: a care coupon for medium- and low-value users who went quiet after a ticket or
         * refund (high value already gets VIP care).
         */
        rules: z
          .array(
            z.strictObject({
              when: z.strictObject({
                campaign: z.enum(CAMPAIGN_KINDS).optional(),
                tier: z.enum(TIERS).optional(),
                reason: z.enum(REASONS).optional(),
                step: z.number().int().min(0).optional(),
              }),
              offer: offerSchema,
            }),
          )
          .default([
            { when: { tier: 'medium', reason: 'service_issue' }, offer: { id: 'care-15', kind: 'coupon', discountPercent: 15, validDays: 30, template: 'apology' } },
            { when: { tier: 'low', reason: 'service_issue' }, offer: { id: 'care-15', kind: 'coupon', discountPercent: 15, validDays: 30, template: 'apology' } },
          ]),
      })
      .prefault({}),
    delivery: z.strictObject({
        defaultTimezone: timezone.default('Asia/Shanghai'),
        quietHours: z.strictObject({ start: hhmm.default('21:00'), end: hhmm.default('09:00') })
          .prefault({}),
        /**
         * At most `max` messages per user in any window of `days` days. A cap naming `campaigns`
         * counts and limits only those kinds; without, every kind. Default: 1 win-back message in
         * 7 days, 3 messages of any campaign in 30.
         */
        frequencyCaps: z
          .array(z.strictObject({ days: z.number().int().min(1), max: z.number().int().min(0), campaigns: z.array(z.enum(CAMPAIGN_KINDS)).min(1).optional() }))
          .default([
            { days: 7, max: 1, campaigns: ['winback'] },
            { days: 30, max: 3 },
          ]),
        /** Channels tried in this order when the user has no usable preference. */
        channelOrder: z.array(z.enum(CHANNELS)).min(1).default(['push', 'sms', 'email']),
      })
      .prefault({}),
    channels: z.strictObject({
        pinpoint: z.strictObject({
            /**
             * An existing Pinpoint project id. Pinpoint takes no new customers, so Rewake never
             * creates one. On AWS it can also come from the stack parameter PinpointApplicationId.
             */
            applicationId: z
              .string()
              .regex(/^[a-f0-9]{32}$/, 'must be a 32-character lowercase hex Pinpoint project id')
              .optional(),
            /** Sender id / origination identity for SMS sent through Pinpoint, if the project has one. */
            smsOriginationNumber: z.string().optional(),
          })
          .prefault({}),
        /** Email through SES v2. Absent: no email channel. */
        ses: z
          .strictObject({
            /** A verified SES identity, e.g. `"Rewake Shop" <hello@shop.example>`. */
            fromAddress: z.string().min(3),
            configurationSet: z.string().min(1).optional(),
            /** HTTPS endpoint taking the RFC 8058 one-click POST; `?token=…` is appended. */
            unsubscribeBaseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }),
            /** Optional mailbox offered as a second List-Unsubscribe choice. */
            unsubscribeMailto: z.email().optional(),
            /** Environment variable holding the unsubscribe-token HMAC key. */
            unsubscribeSecretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('REWAKE_UNSUBSCRIBE_SECRET'),
            /** On AWS: an existing Secrets Manager secret (name) holding that key. Absent: the stack generates one. */
            unsubscribeSecretName: secretName.optional(),
          })
          .optional(),
        /** SMS through AWS End User Messaging SMS v2. Absent: SMS goes through Pinpoint (or the webhook). */
        sms: z
          .strictObject({
            /** Phone number, pool or sender id (or its ARN) registered for the destination countries. */
            originationIdentity: z.string().min(1),
            configurationSet: z.string().min(1).optional(),
          })
          .optional(),
        /** A signed HTTPS webhook, e.g. a domestic SMS gateway or WeChat bridge in mainland China. */
        webhook: z
          .strictObject({
            url: z.url({ protocol: /^https?$/ }),
            /** Environment variable holding the shared HMAC secret. */
            secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('REWAKE_WEBHOOK_SECRET'),
            /** On AWS: an existing Secrets Manager secret (name) holding it. Absent: the stack generates one to share with the provider. */
            secretName: secretName.optional(),
            /** The user channels this provider delivers: 'webhook', or 'sms' for a domestic SMS gateway. */
            channels: z.array(z.enum(CHANNELS)).min(1).default(['webhook']),
            maxBatch: z.number().int().min(1).max(1000).default(100),
            timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
          })
          .optional(),
      })
      .prefault({})
      .refine((c) => !(c.sms && c.webhook?.channels.includes('sms')), {
        message: 'SMS can go through End User Messaging (channels.sms) or the webhook (channels.webhook.channels), not both',
        path: ['webhook', 'channels'],
      }),
    queue: z.strictObject({
        /** Receives before a candidate message moves to the dead-letter queue. */
        maxReceiveCount: z.number().int().min(1).max(1000).default(5),
        visibilityTimeoutSeconds: z.number().int().min(1).max(43200).default(120),
        senderBatchSize: z.number().int().min(1).max(10).default(10),
      })
      .prefault({}),
    schedule: z.strictObject({
        /** When the dormancy scan runs, in `timezone`. EventBridge Scheduler cron (6 fields). */
        scanCron: z.string().regex(/^(\S+\s+){5}\S+$/, 'must be a 6-field cron: min hour day month weekday year').default('0 2 * * ? *'),
        timezone: timezone.default('Asia/Shanghai'),
        /** Parallel-scan segments the daily scan fans out over. */
        scanSegments: z.number().int().min(1).max(1000).default(4),
        /** When the model fit runs (weekly by default), in `timezone`. */
        fitCron: z.string().regex(/^(\S+\s+){5}\S+$/, 'must be a 6-field cron: min hour day month weekday year').default('0 1 ? * MON *'),
      })
      .prefault({}),
    report: z.strictObject({
        /** Reactivated: a qualifying event within this many days after the (would-be) send. */
        attributionDays: z.number().int().min(1).max(365).default(30),
        /** Event types that count as coming back (seed §4: a purchase; any activity if you prefer). */
        qualifyingEvents: z.array(z.enum(EVENT_TYPES as [EventType, ...EventType[]])).min(1).default(['purchase']),
        /** A group with fewer users than this in either arm is flagged "too small to conclude". */
        minGroupSize: z.number().int().min(1).default(30),
        /** ...and so is one with fewer reactivations than this in either arm. */
        minReactivations: z.number().int().min(0).default(5),
        /** When the report Lambda runs, in `schedule.timezone`: after the daily scan and its sends. */
        scheduleCron: z.string().regex(/^(\S+\s+){5}\S+$/, 'must be a 6-field cron: min hour day month weekday year').default('0 6 * * ? *'),
      })
      .prefault({}),
    recommendations: z.strictObject({
        /** Items recommended per message. */
        count: z.number().int().min(1).max(100).default(10),
        /** Neighbours kept per item by the training job (each stored item stays far below 400 KB). */
        neighbours: z.number().int().min(5).max(1000).default(50),
        /** Popular items kept, overall and per category (fallbacks, and the non-personalised offer). */
        popularItems: z.number().int().min(10).max(1000).default(200),
        /** Do not recommend again what the user bought within this many days... */
        recentDays: z.number().int().min(0).max(3650).default(90),
        /** ...unless its category is consumable (tea, coffee, refills): those are fine to re-buy. */
        consumableCategories: z.array(z.string().min(1)).default([]),
        /** When the training job runs (weekly by default), in `schedule.timezone`. */
        trainCron: z.string().regex(/^(\S+\s+){5}\S+$/, 'must be a 6-field cron: min hour day month weekday year').default('0 3 ? * MON *'),
      })
      .prefault({}),
  });

export type RewakeConfig = z.infer<typeof configSchema>;
/** What a config file may contain: any subset of the full config. */
export type RewakeConfigInput = z.input<typeof configSchema>;

/** Parses and validates raw config; throws ConfigError naming every bad field. */
export function parseConfig(raw: unknown, source = 'configuration'): RewakeConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid ${source}:\n${problems.join('\n')}`);
  }
  return result.data;
}

export const defaultConfig = (): RewakeConfig => parseConfig({});

/**
 * What a config says beyond the defaults: `parseConfig(configOverrides(c))` deep-equals `c`. A Lambda
 * gets only this (its environment holds 4 KB in all), and rebuilds the rest from the same defaults.
 */
export function configOverrides(config: RewakeConfig): RewakeConfigInput {
  return (difference(config, defaultConfig()) ?? {}) as RewakeConfigInput;
}

/** Keys of `value` that differ from `base`, recursively; arrays and scalars are compared whole. */
function difference(value: unknown, base: unknown): unknown {
  const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isRecord(value) && isRecord(base)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const d = difference(v, base[key]);
      if (d !== undefined) out[key] = d;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  return isDeepStrictEqual(value, base) ? undefined : value;
}

/** Lambdas receive their config as JSON in this environment variable, set by the stack. */
export const CONFIG_ENV = 'REWAKE_CONFIG';

/** Config for a running handler: REWAKE_CONFIG if set, else defaults. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): RewakeConfig {
  const raw = env[CONFIG_ENV];
  if (!raw) return defaultConfig();
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${CONFIG_ENV} is not valid JSON`);
  }
  return parseConfig(parsed, CONFIG_ENV);
}
