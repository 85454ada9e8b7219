/**
 * The bridge between profiles and the BTYD models (shared/models): fitting on the whole customer
 * base, choosing which fitted model to trust, and scoring one profile into P(alive), expected
 * purchases and discounted lifetime value.
 */
import type { RewakeConfig } from '../config';
import {
  expectedPurchases,
  fitAll,
  pAlive,
  scoreCustomer,
  type CustomerProfile,
  type CustomerScore,
  type FittedModels,
  type GammaGammaParams,
  type TransactionModel,
} from '../models';
import type { Profile } from '../profiles/aggregate';

const DAY_MS = 86_400_000;
/** Average days in a month, for the lifetime-value horizon. */
const DAYS_PER_MONTH = 30.4375;

/** What a fit job stores and a scan reads. */
export interface StoredModel {
  modelId: 'btyd';
  fittedAt: string;
  /** The fit's as-of day and the first purchase day in its data. */
  asOf: string;
  dataFrom: string | null;
  periodDays: number;
  customers: number;
  repeatCustomers: number;
  /** The transaction model used for scoring, or null when no fit was usable. */
  transaction: TransactionModel | null;
  spend: GammaGammaParams | null;
  /** Log-likelihoods and statuses of every model tried, for the report and operators. */
  fits: Record<string, { ok: boolean; logLikelihood?: number; params?: Record<string, number>; message?: string }>;
  /** Why the rules alone decide, when they do. */
  fallbackReason: string | null;
}

/** A profile's BTYD statistics at `asOf`, in model periods; undefined before a first purchase. */
export function customerStatistics(profile: Profile, asOf: Date, periodDays: number): CustomerProfile | undefined {
  if (!profile.firstPurchaseDay || !profile.lastPurchaseDay) return undefined;
  const first = Date.parse(profile.firstPurchaseDay);
  const last = Date.parse(profile.lastPurchaseDay);
  const asOfDay = Date.parse(asOf.toISOString().slice(0, 10));
  if (asOfDay < last) return undefined; // purchases after the scoring date: not scorable as of then
  const period = periodDays * DAY_MS;
  return { x: profile.frequency, tx: (last - first) / period, T: (asOfDay - first) / period, mx: profile.repeatMonetaryMean };
}

/** Accumulates the customer base, one profile at a time, in typed arrays (8 bytes × 4 per customer). */
export class FitInput {
  private x = new Float64Array(1024);
  private tx = new Float64Array(1024);
  private T = new Float64Array(1024);
  private mx = new Float64Array(1024);
  private n = 0;
  private firstDay: string | null = null;

  constructor(
    private readonly asOf: Date,
    private readonly periodDays: number,
  ) {}

  add(profile: Profile): void {
    const stats = customerStatistics(profile, this.asOf, this.periodDays);
    if (!stats || stats.T <= 0) return; // first purchase on the as-of day: nothing observed yet
    if (this.n === this.x.length) this.grow();
    this.x[this.n] = stats.x;
    this.tx[this.n] = stats.tx;
    this.T[this.n] = stats.T;
    this.mx[this.n] = stats.mx ?? 0;
    this.n += 1;
    if (!this.firstDay || profile.firstPurchaseDay! < this.firstDay) this.firstDay = profile.firstPurchaseDay!;
  }

  get size(): number {
    return this.n;
  }

  /** Fit every model; keep the best usable transaction model (MBG/NBD first: see below). */
  fit(config: RewakeConfig['model'], fittedAt: Date): StoredModel {
    const base = {
      modelId: 'btyd' as const,
      fittedAt: fittedAt.toISOString(),
      asOf: this.asOf.toISOString().slice(0, 10),
      dataFrom: this.firstDay,
      periodDays: this.periodDays,
      customers: this.n,
    };
    const data = { x: this.x.subarray(0, this.n), tx: this.tx.subarray(0, this.n), T: this.T.subarray(0, this.n), mx: this.mx.subarray(0, this.n) };
    const repeat = countRepeat(data.x);
    if (repeat < config.minRepeatCustomers) {
      return { ...base, repeatCustomers: repeat, transaction: null, spend: null, fits: {}, fallbackReason: `only ${repeat} repeat customers (at least ${config.minRepeatCustomers} needed)` };
    }
    const fitted = fitAll(data, { models: ['bgnbd', 'mbgnbd', 'gammaGamma'] });
    return { ...base, repeatCustomers: fitted.repeatCustomers, ...chooseModel(fitted) };
  }

  private grow(): void {
    const grow = (a: Float64Array) => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.x = grow(this.x);
    this.tx = grow(this.tx);
    this.T = grow(this.T);
    this.mx = grow(this.mx);
  }
}

/**
 * MBG/NBD is preferred over BG/NBD because BG/NBD gives every one-time buyer P(alive) = 1, which
 * is useless for dormancy; MBG/NBD lets them drop out at time 0 too (Batislam et al. 2007).
 */
function chooseModel(fitted: FittedModels): Pick<StoredModel, 'transaction' | 'spend' | 'fits' | 'fallbackReason'> {
  const fits: StoredModel['fits'] = {};
  for (const name of ['bgnbd', 'mbgnbd', 'gammaGamma'] as const) {
    const fit = fitted[name];
    if (!fit) continue;
    fits[name] = fit.status.ok
      ? { ok: true, logLikelihood: fit.logLikelihood, params: { ...fit.params } as Record<string, number> }
      : { ok: false, logLikelihood: fit.logLikelihood, message: fit.status.message };
  }
  const transaction: TransactionModel | null = fitted.mbgnbd?.status.ok
    ? { model: 'mbgnbd', params: fitted.mbgnbd.params }
    : fitted.bgnbd?.status.ok
      ? { model: 'bgnbd', params: fitted.bgnbd.params }
      : null;
  const spend = fitted.gammaGamma?.status.ok ? fitted.gammaGamma.params : null;
  // The short reason for summaries; the full messages stay in `fits`.
  const problems = (['mbgnbd', 'bgnbd'] as const).map((name) => {
    const status = fitted[name]?.status;
    return status && !status.ok ? `${name} ${status.degenerate}` : null;
  });
  const fallbackReason = transaction ? null : `no usable transaction model (${problems.filter(Boolean).join(', ') || 'none fitted'}); see the fit's messages`;
  return { transaction, spend, fits, fallbackReason };
}

export interface ModelScore extends CustomerScore {
  /** Which model produced it. */
  model: TransactionModel['model'];
}

/**
 * Scores one profile; undefined when there is no usable model or the user never purchased. Without
 * a spend model, lifetime value uses the user's own mean spend.
 */
export function scoreProfile(model: StoredModel | null, profile: Profile, asOf: Date, config: RewakeConfig['model']): ModelScore | undefined {
  if (!model?.transaction) return undefined;
  const stats = customerStatistics(profile, asOf, model.periodDays);
  if (!stats) return undefined;
  const periodsPerMonth = DAYS_PER_MONTH / model.periodDays;
  const horizon = config.horizonDays / model.periodDays;
  if (!model.spend) {
    // No spend model: the user's own mean spend per purchase day, undiscounted over the horizon.
    const purchases = expectedPurchases(model.transaction, stats, config.clvMonths * periodsPerMonth);
    return {
      model: model.transaction.model,
      pAlive: pAlive(model.transaction, stats),
      expectedPurchases: expectedPurchases(model.transaction, stats, horizon),
      expectedAverageSpend: profile.monetaryMean,
      clv: purchases * profile.monetaryMean,
    };
  }
  const score = scoreCustomer(model.transaction, model.spend, stats, {
    horizon,
    clv: { periods: config.clvMonths, periodLength: periodsPerMonth, discountRate: config.monthlyDiscountRate },
  });
  return { ...score, model: model.transaction.model };
}

/** A stored model is used only while fresh enough. */
export function usableModel(model: StoredModel | undefined, now: Date, config: RewakeConfig['model']): StoredModel | null {
  if (!config.enabled || !model?.transaction) return null;
  const ageDays = (now.getTime() - Date.parse(model.fittedAt)) / DAY_MS;
  return ageDays <= config.maxAgeDays ? model : null;
}

function countRepeat(x: Float64Array): number {
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i]! > 0) n++;
  return n;
}
