/**
 * Value tiers (seed §3.3): high / medium / low by a user's value — predicted lifetime value when a
 * model is fitted, historical spend before that — as quantiles of the dormant population or as
 * fixed thresholds.
 *
 * Quantiles over millions of users must not hold every value in memory, so values go into a
 * log-bucketed histogram: constant memory, each cut point within 1% of the exact quantile.
 */
import type { RewakeConfig, Tier } from '../config';

export interface TierCuts {
  high: number;
  medium: number;
}

export function tierOf(value: number, cuts: TierCuts): Tier {
  if (value >= cuts.high) return 'high';
  if (value >= cuts.medium) return 'medium';
  return 'low';
}

/** Cut points for the configured method; `sketch` is the dormant population's values. */
export function tierCuts(config: RewakeConfig['tiers'], sketch: QuantileSketch): TierCuts {
  if (config.method === 'threshold') return { high: config.highThreshold, medium: config.mediumThreshold };
  return { high: sketch.quantile(config.highQuantile), medium: sketch.quantile(config.mediumQuantile) };
}

const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** Buckets up to ~1e13, far past any spend; values beyond share the last bucket. */
const BUCKETS = 3000;

export class QuantileSketch {
  private readonly counts = new Float64Array(BUCKETS + 1);
  private total = 0;

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.counts[bucketOf(value)]! += 1;
    this.total += 1;
  }

  get count(): number {
    return this.total;
  }

  /** Merge another sketch (e.g. from a parallel scan segment). */
  merge(other: QuantileSketch): this {
    for (let i = 0; i <= BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    return this;
  }

  /**
   * The lower edge of the bucket holding the q-quantile: a user whose value equals the exact
   * quantile lands in the upper tier, so ties are never split across tiers.
   */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = q * this.total;
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen > rank) return lowerEdge(i);
    }
    return lowerEdge(BUCKETS);
  }

  toJSON(): { counts: Record<number, number> } {
    const counts: Record<number, number> = {};
    this.counts.forEach((c, i) => {
      if (c > 0) counts[i] = c;
    });
    return { counts };
  }

  static fromJSON(json: { counts: Record<number, number> }): QuantileSketch {
    const sketch = new QuantileSketch();
    for (const [i, c] of Object.entries(json.counts)) {
      sketch.counts[Number(i)] = c;
      sketch.total += c;
    }
    return sketch;
  }
}

/** Bucket 0 holds values below 1 (including 0); bucket i ≥ 1 holds [GROWTH^(i-1), GROWTH^i). */
function bucketOf(value: number): number {
  if (value < 1) return 0;
  return Math.min(BUCKETS, 1 + Math.floor(Math.log(value) / LOG_GROWTH));
}

function lowerEdge(bucket: number): number {
  return bucket === 0 ? 0 : Math.pow(GROWTH, bucket - 1);
}
