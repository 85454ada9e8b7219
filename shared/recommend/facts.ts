/**
 * Stored facts (shared/profiles/facts.ts) as recommender input. A purchase fact keeps the order's
 * skus and the set of its categories, not which sku is in which category: a single-category order
 * settles its skus' category, a multi-category one narrows it (RecommenderTrainer.addCategoryEvidence),
 * and a browse names it outright.
 */
import type { Fact } from '../profiles/facts';
import type { Profile } from '../profiles/aggregate';
import { RecommenderTrainer, type TrainOptions } from './train';
import type { HistoryEntry, RecModel } from './types';

/** Feeds one fact to the trainer. Facts of other types are ignored. */
export function addFact(trainer: RecommenderTrainer, userId: string, fact: Fact): void {
  for (const entry of historyOfFact(fact)) trainer.add({ userId, ...entry });
  if (fact.type === 'purchase') {
    const categories = strings(fact.p.categories);
    if (categories.length > 1) for (const sku of strings(fact.p.skus)) trainer.addCategoryEvidence(sku, categories);
  }
}

/** Trains Rewake's model from (userId, fact) pairs: what the local run and tests call. */
export function trainFromFacts(rows: Iterable<{ userId: string; fact: Fact }>, options: TrainOptions & { fittedAt: Date }): RecModel {
  const trainer = new RecommenderTrainer(options);
  for (const { userId, fact } of rows) addFact(trainer, userId, fact);
  return trainer.train();
}

/** A user's history from their facts: every purchased sku and every view, with its time. */
export function historyFromFacts(facts: Iterable<Fact>): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const fact of facts) out.push(...historyOfFact(fact));
  return out;
}

function historyOfFact(fact: Fact): HistoryEntry[] {
  if (fact.type === 'purchase') {
    const categories = strings(fact.p.categories);
    const category = categories.length === 1 ? categories[0] : undefined;
    return strings(fact.p.skus).map((sku) => (category === undefined ? { sku, t: fact.t, kind: 'purchase' } : { sku, t: fact.t, kind: 'purchase', category }));
  }
  if (fact.type === 'browse' && typeof fact.p.sku === 'string') {
    return [typeof fact.p.category === 'string' ? { sku: fact.p.sku, t: fact.t, kind: 'browse', category: fact.p.category } : { sku: fact.p.sku, t: fact.t, kind: 'browse' }];
  }
  return [];
}

/**
 * A user's history from the profile alone, when their facts are not at hand: the profile keeps the
 * skus bought (most recent first) but not when each was bought, so every one is dated at the last
 * purchase. That errs towards "bought recently", i.e. towards not offering an item again.
 */
export function historyFromProfile(profile: Pick<Profile, 'recentSkus' | 'lastPurchaseAt'>): HistoryEntry[] {
  if (!profile.lastPurchaseAt) return [];
  const t = Date.parse(profile.lastPurchaseAt);
  if (Number.isNaN(t)) return [];
  // One millisecond apart keeps the profile's newest-first order without moving anything in time.
  return profile.recentSkus.map((sku, i) => ({ sku, t: t - i, kind: 'purchase' }));
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
