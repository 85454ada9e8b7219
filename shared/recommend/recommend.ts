/**
 * Serving: a user's history and the model → the top K items, each with where it came from.
 *
 *   personal  neighbours of what the user bought or viewed (recent interactions weigh more), plus
 *             "buy again" for what they bought before (wholesale and consumables are re-bought);
 *   category  the user's categories' popular items, when the personal list runs short;
 *   popular   the shop's trending items, last.
 *
 * A user who refused personalised recommendations (PIPL Art. 24) gets the popular list, the same
 * for everyone: nothing of theirs is read, not even to filter it.
 */
import { TopK } from './top-k';
import { decay } from './train';
import type { HistoryEntry, RecModel, Recommendation } from './types';

const DAY_MS = 86_400_000;

export interface RecommendOptions {
  /** Serving time: history ages are measured back from here. */
  now: Date | number;
  count?: number;
  /** false: the user refused personalised recommendations. */
  personalised?: boolean;
  /** 'new': only items the user never bought (new arrivals for them); 'all': re-buys allowed. */
  mode?: 'all' | 'new';
  /**
   * The business rule: do not offer again what the user bought in the last `recentDays` days unless
   * its category is consumable. On by default; the offline "all items" evaluation turns it off,
   * because there re-buying the same thing is exactly what is being predicted.
   */
  excludeRecentPurchases?: boolean;
  recentDays?: number;
  consumableCategories?: Iterable<string>;
  /** The user's categories, most liked first (e.g. profile.categoryAffinity), for the category fallback. */
  categories?: string[];
}

export const DEFAULT_COUNT = 10;
export const DEFAULT_RECENT_DAYS = 90;

export function recommend(model: RecModel, history: HistoryEntry[], options: RecommendOptions): Recommendation[] {
  const count = options.count ?? DEFAULT_COUNT;
  if (options.personalised === false) return backfill([], new Set(), model.popular, 'popular', count);

  const now = typeof options.now === 'number' ? options.now : options.now.getTime();
  const p = model.params;
  const excluded = excludedSkus(model, history, options, now);

  // The user's own weight per item: recent interactions count more, views less than purchases.
  const own = new Map<string, number>();
  for (const h of history) {
    const w = (h.kind === 'purchase' ? 1 : p.browseWeight) * decay(now - h.t, p.historyHalfLifeDays);
    own.set(h.sku, (own.get(h.sku) ?? 0) + w);
  }

  const neighbourScore = new Map<string, number>();
  for (const [sku, w] of own) {
    for (const [other, sim] of model.items.get(sku)?.neighbours ?? []) {
      if (excluded.has(other)) continue;
      neighbourScore.set(other, (neighbourScore.get(other) ?? 0) + w * sim ** p.similarityPower);
    }
  }
  if (options.mode === 'new') addPopularityPrior(model, neighbourScore);
  // The user's own items come back as candidates themselves: bought before (buy again) or viewed
  // and not bought (still interested). Not in 'new' mode, where the user's purchases are excluded.
  const repeatScore = options.mode === 'new' ? new Map<string, number>() : own;
  const maxNeighbour = max(neighbourScore.values());
  const maxRepeat = max(repeatScore.values());

  const scored = new Map<string, number>();
  for (const sku of [...neighbourScore.keys(), ...repeatScore.keys()]) {
    if (excluded.has(sku) || scored.has(sku)) continue;
    const n = maxNeighbour > 0 ? (neighbourScore.get(sku) ?? 0) / maxNeighbour : 0;
    const r = maxRepeat > 0 ? (repeatScore.get(sku) ?? 0) / maxRepeat : 0;
    scored.set(sku, n + p.repeatWeight * r);
  }
  const personal: Recommendation[] = ranked(scored, count).map(([sku, score]) => ({ sku, source: 'personal' as const, score }));
  if (personal.length >= count) return personal;

  const taken = new Set([...personal.map((r) => r.sku), ...excluded]);
  const categories = options.categories ?? categoriesOf(model, history, own);
  const out = [...personal];
  for (const category of categories) {
    if (out.length >= count) break;
    const list = model.popularByCategory.get(category);
    if (list) out.push(...backfill([], taken, list, 'category', count - out.length));
  }
  return backfill(out, taken, model.popular, 'popular', count);
}

/**
 * 'new' mode: a small prior for candidates that are also trending, so of two items the user's
 * purchases point to about equally, the one selling now comes first. It reorders candidates and
 * adds none. Rewrites `scores` (scaled to a maximum of 1 first) in place.
 */
function addPopularityPrior(model: RecModel, scores: Map<string, number>): void {
  const prior = model.params.popularityPrior ?? 0;
  const top = max(scores.values());
  if (prior <= 0 || top <= 0) return;
  for (const [sku, s] of scores) scores.set(sku, s / top);
  const n = model.popular.length;
  model.popular.forEach((sku, rank) => {
    const s = scores.get(sku);
    if (s !== undefined) scores.set(sku, s + (prior * (n - rank)) / n);
  });
}

/** The skus the business rule and the mode keep out of the list. */
function excludedSkus(model: RecModel, history: HistoryEntry[], options: RecommendOptions, now: number): Set<string> {
  const excluded = new Set<string>();
  const consumable = new Set(options.consumableCategories ?? []);
  const recentFrom = now - (options.recentDays ?? DEFAULT_RECENT_DAYS) * DAY_MS;
  for (const h of history) {
    if (h.kind !== 'purchase') continue;
    if (options.mode === 'new') excluded.add(h.sku);
    else if (options.excludeRecentPurchases !== false && h.t >= recentFrom) {
      const category = h.category ?? model.items.get(h.sku)?.category;
      if (category === undefined || !consumable.has(category)) excluded.add(h.sku);
    }
  }
  return excluded;
}

/** The categories of the user's history, strongest first (by the user's weight on their items). */
function categoriesOf(model: RecModel, history: HistoryEntry[], own: Map<string, number>): string[] {
  const categoryOf = new Map<string, string>();
  for (const h of history) if (h.category !== undefined) categoryOf.set(h.sku, h.category);
  const weight = new Map<string, number>();
  for (const [sku, w] of own) {
    const category = categoryOf.get(sku) ?? model.items.get(sku)?.category;
    if (category !== undefined) weight.set(category, (weight.get(category) ?? 0) + w);
  }
  return ranked(weight).map(([category]) => category);
}

/** Appends items of `list` not yet taken until `out` holds `count`. Scores fall with rank. */
function backfill(out: Recommendation[], taken: Set<string>, list: string[], source: Recommendation['source'], count: number): Recommendation[] {
  for (let i = 0; i < list.length && out.length < count; i++) {
    const sku = list[i]!;
    if (taken.has(sku)) continue;
    taken.add(sku);
    out.push({ sku, source, score: 1 / (i + 1) });
  }
  return out;
}

const bySku = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The `limit` best entries, best first; equal scores in sku order. */
function ranked(scores: Map<string, number>, limit = scores.size): [string, number][] {
  const top = new TopK<string>(limit, bySku);
  for (const [sku, score] of scores) top.push(sku, score);
  return top.sorted();
}

function max(values: Iterable<number>): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

/**
 * The evaluation's plain item-kNN: score(j) = Σ over distinct bought items i of sim(i, j), no
 * recency, no re-buy term; backfilled from popularity. 'new' leaves out what the user bought.
 */
export function recommendItemKnn(model: RecModel, boughtSkus: Iterable<string>, options: { count?: number; mode?: 'all' | 'new' } = {}): Recommendation[] {
  const count = options.count ?? DEFAULT_COUNT;
  const bought = new Set(boughtSkus);
  const scores = new Map<string, number>();
  for (const sku of bought) for (const [other, sim] of model.items.get(sku)?.neighbours ?? []) scores.set(other, (scores.get(other) ?? 0) + sim);
  const exclude = options.mode === 'new' ? bought : new Set<string>();
  for (const sku of exclude) scores.delete(sku);
  const out: Recommendation[] = ranked(scores, count).map(([sku, score]) => ({ sku, source: 'personal' as const, score }));
  return backfill(out, new Set([...exclude, ...out.map((r) => r.sku)]), model.popular, 'popular', count);
}

/** The evaluation's popularity baseline: the model's popular list minus `exclude`. */
export function recommendPopular(model: RecModel, exclude: Iterable<string> = [], count = DEFAULT_COUNT): Recommendation[] {
  return backfill([], new Set(exclude), model.popular, 'popular', count);
}
