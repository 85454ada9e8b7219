/**
 * Offline evaluation on a time split, as in the issue: train only on interactions before the split;
 * test users bought both before and after it; the truth is what they bought after it ("new items
 * only": what they had not bought before). Metrics at K with binary relevance:
 *
 *   HR@K      share of test users with at least one hit in their top K;
 *   Recall@K  hits / min(K, |truth|), so a user with more than K true items can still reach 1;
 *   NDCG@K    DCG / ideal DCG, DCG = Σ over hits at rank r (1-based) of 1 / log2(r + 1), ideal DCG
 *             the same with min(K, |truth|) hits at the top.
 */
import { recommend, recommendItemKnn, recommendPopular } from './recommend';
import { trainItemKnn, trainRecommender } from './train';
import type { Interaction, ModelParams } from './types';

export interface Metrics {
  users: number;
  hr: number;
  recall: number;
  ndcg: number;
}

/** One user's scores; averaged over users by `meanMetrics`. */
export function userMetrics(ranked: string[], truth: ReadonlySet<string>, k: number): { hit: number; recall: number; ndcg: number } {
  if (truth.size === 0) throw new RangeError('a test user needs at least one true item');
  let hits = 0;
  let dcg = 0;
  const top = ranked.slice(0, k);
  top.forEach((sku, r) => {
    if (truth.has(sku)) {
      hits++;
      dcg += 1 / Math.log2(r + 2);
    }
  });
  const ideal = Math.min(k, truth.size);
  let idcg = 0;
  for (let r = 0; r < ideal; r++) idcg += 1 / Math.log2(r + 2);
  return { hit: hits > 0 ? 1 : 0, recall: hits / ideal, ndcg: dcg / idcg };
}

export function meanMetrics(rows: { hit: number; recall: number; ndcg: number }[]): Metrics {
  const n = rows.length;
  if (n === 0) return { users: 0, hr: NaN, recall: NaN, ndcg: NaN };
  let hr = 0;
  let recall = 0;
  let ndcg = 0;
  for (const r of rows) {
    hr += r.hit;
    recall += r.recall;
    ndcg += r.ndcg;
  }
  return { users: n, hr: hr / n, recall: recall / n, ndcg: ndcg / n };
}

export interface TestUser {
  userId: string;
  /** Every training interaction of the user (before the split). */
  history: Interaction[];
  /** Skus bought before the split. */
  bought: Set<string>;
  /** Skus bought on or after the split. */
  all: Set<string>;
  /** ...of which the user had not bought before. Empty when every purchase was a re-buy. */
  fresh: Set<string>;
}

export interface Split {
  train: Interaction[];
  users: TestUser[];
}

/** Splits at `splitAt` (epoch ms): training strictly before, truth at or after. */
export function splitByTime(interactions: Interaction[], splitAt: number): Split {
  const train: Interaction[] = [];
  const history = new Map<string, Interaction[]>();
  const after = new Map<string, Set<string>>();
  for (const x of interactions) {
    if (x.t < splitAt) {
      train.push(x);
      let list = history.get(x.userId);
      if (!list) history.set(x.userId, (list = []));
      list.push(x);
    } else if (x.kind === 'purchase') {
      let set = after.get(x.userId);
      if (!set) after.set(x.userId, (set = new Set()));
      set.add(x.sku);
    }
  }
  const users: TestUser[] = [];
  for (const [userId, all] of after) {
    const past = history.get(userId);
    const bought = new Set((past ?? []).filter((x) => x.kind === 'purchase').map((x) => x.sku));
    if (bought.size === 0) continue;
    users.push({ userId, history: past!, bought, all, fresh: new Set([...all].filter((s) => !bought.has(s))) });
  }
  users.sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  return { train, users };
}

export type EvalModelName = 'popularity' | 'item-kNN' | 'Rewake';
export interface EvalRow {
  model: EvalModelName;
  /** 'all': every item bought after the split; 'new': only items the user had not bought before. */
  items: 'all' | 'new';
  metrics: Metrics;
}

/**
 * Rewake minus a baseline on the same users: the mean per-user difference of a metric with a 95%
 * interval from the normal approximation of paired differences (users are the independent units).
 */
export interface PairedComparison {
  items: 'all' | 'new';
  baseline: Exclude<EvalModelName, 'Rewake'>;
  metric: 'hr' | 'ndcg';
  difference: number;
  low: number;
  high: number;
}

/** Mean of a[i] − b[i] with a 95% normal interval; the lists are the same users in the same order. */
export function pairedDifference(a: readonly number[], b: readonly number[]): { difference: number; low: number; high: number } {
  if (a.length !== b.length || a.length === 0) throw new RangeError('paired lists must be non-empty and of equal length');
  const d = a.map((v, i) => v - b[i]!);
  const mean = d.reduce((s, v) => s + v, 0) / d.length;
  const variance = d.length > 1 ? d.reduce((s, v) => s + (v - mean) ** 2, 0) / (d.length - 1) : 0;
  const half = 1.959964 * Math.sqrt(variance / d.length);
  return { difference: mean, low: mean - half, high: mean + half };
}

export interface EvalResult {
  k: number;
  splitAt: string;
  trainInteractions: number;
  testUsers: number;
  /** Test users with at least one new item after the split (the "new items" population). */
  newItemUsers: number;
  rows: EvalRow[];
  /** Rewake vs each baseline, per user, with a 95% interval: is the gap more than noise? */
  comparisons: PairedComparison[];
  trainMs: number;
}

/**
 * Trains popularity, the plain item-kNN and Rewake's model on the interactions before `splitAt`,
 * and scores all three on the same test users. Rewake is served as of the split, with the
 * recent-purchase business rule off (see RecommendOptions.excludeRecentPurchases).
 */
export function evaluateSplit(interactions: Interaction[], splitAt: number, options: { k?: number; params?: Partial<ModelParams>; baselineNeighbours?: number } = {}): EvalResult {
  const k = options.k ?? 10;
  const split = splitByTime(interactions, splitAt);
  const t0 = performance.now();
  const rewake = trainRecommender(split.train, { params: options.params, fittedAt: new Date(splitAt) });
  const knn = trainItemKnn(split.train, options.baselineNeighbours);
  const trainMs = performance.now() - t0;
  const rows: EvalRow[] = [];
  const comparisons: PairedComparison[] = [];
  for (const items of ['all', 'new'] as const) {
    const scored: Record<EvalModelName, { hit: number; recall: number; ndcg: number }[]> = { popularity: [], 'item-kNN': [], Rewake: [] };
    for (const user of split.users) {
      const truth = items === 'all' ? user.all : user.fresh;
      if (truth.size === 0) continue;
      const exclude = items === 'new' ? user.bought : [];
      const lists: Record<EvalModelName, string[]> = {
        popularity: recommendPopular(knn, exclude, k).map((r) => r.sku),
        'item-kNN': recommendItemKnn(knn, user.bought, { count: k, mode: items }).map((r) => r.sku),
        Rewake: recommend(rewake, user.history, { now: splitAt, count: k, mode: items, excludeRecentPurchases: false }).map((r) => r.sku),
      };
      for (const name of Object.keys(lists) as EvalModelName[]) scored[name].push(userMetrics(lists[name], truth, k));
    }
    for (const model of ['popularity', 'item-kNN', 'Rewake'] as const) rows.push({ model, items, metrics: meanMetrics(scored[model]) });
    for (const baseline of ['popularity', 'item-kNN'] as const) {
      for (const metric of ['hr', 'ndcg'] as const) {
        const ours = scored.Rewake.map((m) => (metric === 'hr' ? m.hit : m.ndcg));
        const theirs = scored[baseline].map((m) => (metric === 'hr' ? m.hit : m.ndcg));
        if (ours.length > 0) comparisons.push({ items, baseline, metric, ...pairedDifference(ours, theirs) });
      }
    }
  }
  return {
    k,
    splitAt: new Date(splitAt).toISOString().slice(0, 10),
    trainInteractions: split.train.length,
    testUsers: split.users.length,
    newItemUsers: split.users.filter((u) => u.fresh.size > 0).length,
    rows,
    comparisons,
    trainMs,
  };
}
