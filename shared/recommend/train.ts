/**
 * Item-to-item training. Users × items becomes a sparse matrix of interaction strengths; each
 * item's neighbours are the items with the highest (asymmetric) cosine similarity of their user
 * columns. Memory is the sparse matrix plus one dense row of scores, never items × items; time is
 * Σ_users |items of user|². Interactions are added one at a time (`RecommenderTrainer.add`), so a
 * job can stream them from a table scan without holding the raw pages.
 *
 * Rewake's model differs from the textbook item-kNN (the 'plain' flavour, the baseline the
 * evaluation compares against) in ways that each earned their place on validation splits that end
 * before the evaluation period (turning any one off lowered new-item HR@10 there):
 *   - interactions fade with age (half-life `trainHalfLifeDays`): a seasonal shop's last months
 *     say more than last year;
 *   - a user's pairs count 1/√(items they touched): a wholesaler's 1,000-item basket is weak
 *     evidence that any two of its items go together ("inverse user frequency");
 *   - buying an item on several occasions counts more than once, sub-linearly (log(1 + n));
 *   - asymmetric cosine (alpha 0.6) penalises popular neighbours a little less than the plain
 *     cosine (0.5) does; 0.6 beat 0.5 and 0.7. Serving sharpens similarities (similarityPower 2
 *     beat 1 and 3);
 *   - popularity is trending (decayed), not all-time;
 *   - each order (same user, same time) is also a row of the matrix, weighted `basketWeight` 1:
 *     items bought in one order go together more surely than items a customer bought months apart
 *     (0.5 and 1 beat 0 and 2 on new items);
 *   - serving ('new' mode) adds a small prior for trending candidates (popularityPrior 0.1 beat 0,
 *     0.2 and 0.3), and weighs buy-again 3× ('all' mode; 3 won back what the basket rows cost there).
 * Tried and left out: blending in the plain neighbour sum in 'new' mode (0.2–0.7 all lowered new
 * items), no training decay, alpha 0.5/0.65/0.7, user weights n^−0.25 and n^−0.75, 100 neighbours.
 */
import { TopK } from './top-k';
import type { Interaction, ItemEntry, ModelParams, ModelStats, RecModel } from './types';

/**
 * Chosen on validation splits of Online Retail at 2011-06-01, 2011-07-01 and 2011-08-01 with the
 * data cut at 2011-09-01, never on the evaluation period after 2011-09-01 (bin/commands/eval-recs.ts).
 */
export const DEFAULT_PARAMS: ModelParams = {
  neighbours: 50,
  popularItems: 200,
  browseWeight: 0.3,
  trainHalfLifeDays: 90,
  popularityHalfLifeDays: 30,
  alpha: 0.6,
  similarityPower: 2,
  historyHalfLifeDays: 60,
  repeatWeight: 3,
  userWeightPower: 0.5,
  basketWeight: 1,
  popularityPrior: 0.1,
};

/**
 * The baseline's neighbours, tuned for it on the same validation splits: 10–20 did best on new
 * items, 50–100 on all items (a point or two of HR@10 either way); 20 is the compromise.
 */
export const BASELINE_NEIGHBOURS = 20;

/** The baseline: binary "bought it", plain cosine, no decay, no user weighting, all-time popularity. */
export const PLAIN_PARAMS: ModelParams = {
  ...DEFAULT_PARAMS,
  neighbours: BASELINE_NEIGHBOURS,
  browseWeight: 0,
  trainHalfLifeDays: Infinity,
  popularityHalfLifeDays: Infinity,
  alpha: 0.5,
  similarityPower: 1,
  historyHalfLifeDays: Infinity,
  repeatWeight: 0,
  userWeightPower: 0,
  basketWeight: 0,
  popularityPrior: 0,
};

const DAY_MS = 86_400_000;

export interface TrainerOptions {
  /** Decay is measured back from here; interactions after it count as new. */
  fittedAt: Date;
  params?: Partial<ModelParams>;
  /** 'plain' trains the textbook baseline (purchases only, binary, plain cosine). */
  flavour?: 'rewake' | 'plain';
  version?: string;
}

/** A user's row: item index → [strength (decayed, summed), popularity weight (decayed, best)]. */
type Row = Map<number, [number, number]>;

export class RecommenderTrainer {
  readonly params: ModelParams;
  private readonly fittedAt: number;
  private readonly plain: boolean;
  private readonly skuIndex = new Map<string, number>();
  private readonly skus: string[] = [];
  private readonly category = new Map<string, string>();
  /** Skus whose category is known only as "one of these" (a multi-category order). */
  private readonly categoryCandidates = new Map<string, Set<string>>();
  private readonly name = new Map<string, string>();
  private readonly rows = new Map<string, Row>();
  /** Orders (user + time: one order's lines share the timestamp) → item index → decayed strength. */
  private readonly baskets = new Map<string, Map<number, number>>();
  private interactions = 0;

  constructor(private readonly options: TrainerOptions) {
    this.plain = options.flavour === 'plain';
    this.params = { ...(this.plain ? PLAIN_PARAMS : DEFAULT_PARAMS), ...options.params };
    this.fittedAt = options.fittedAt.getTime();
    if (Number.isNaN(this.fittedAt)) throw new RangeError('fittedAt is not a valid date');
  }

  add(x: Interaction): void {
    if (this.plain && x.kind !== 'purchase') return;
    let i = this.skuIndex.get(x.sku);
    if (i === undefined) {
      i = this.skus.length;
      this.skuIndex.set(x.sku, i);
      this.skus.push(x.sku);
    }
    if (x.category !== undefined && !this.category.has(x.sku)) this.category.set(x.sku, x.category);
    if (x.name !== undefined && !this.name.has(x.sku)) this.name.set(x.sku, x.name);
    let row = this.rows.get(x.userId);
    if (!row) this.rows.set(x.userId, (row = new Map()));
    const kindWeight = x.kind === 'purchase' ? 1 : this.params.browseWeight;
    const strength = this.plain ? 1 : kindWeight * decay(this.fittedAt - x.t, this.params.trainHalfLifeDays);
    const recent = kindWeight * decay(this.fittedAt - x.t, this.params.popularityHalfLifeDays);
    const cell = row.get(i);
    if (cell) {
      cell[0] += strength;
      if (recent > cell[1]) cell[1] = recent;
    } else row.set(i, [strength, recent]);
    if (this.params.basketWeight > 0 && x.kind === 'purchase') {
      const key = `${x.userId}\u0000${x.t}`;
      let basket = this.baskets.get(key);
      if (!basket) this.baskets.set(key, (basket = new Map()));
      basket.set(i, (basket.get(i) ?? 0) + strength);
    }
    this.interactions++;
  }

  /**
   * The sku was in an order whose items span these categories. The sku's own category is in every
   * such list, so the intersection over its orders narrows it down; a browse (which names the
   * category) or a single-category order settles it.
   */
  addCategoryEvidence(sku: string, categories: readonly string[]): void {
    if (categories.length === 0) return;
    const known = this.categoryCandidates.get(sku);
    if (!known) this.categoryCandidates.set(sku, new Set(categories));
    else for (const c of known) if (!categories.includes(c)) known.delete(c);
  }

  train(): RecModel {
    const p = this.params;
    const matrix = this.matrix();
    const neighbours = itemNeighbours(matrix, p.neighbours, p.alpha);
    const items = new Map<string, ItemEntry>();
    let pairs = 0;
    this.skus.forEach((sku, i) => {
      const list = neighbours.get(i) ?? [];
      pairs += list.length;
      const entry: ItemEntry = { neighbours: list.map(([j, s]) => [this.skus[j]!, s] as const) };
      const c = this.categoryOf(sku);
      if (c !== undefined) entry.category = c;
      const n = this.name.get(sku);
      if (n !== undefined) entry.name = n;
      items.set(sku, entry);
    });
    const { popular, byCategory } = this.popularity(items);
    const fittedAt = new Date(this.fittedAt);
    const stats: ModelStats = { users: this.rows.size, items: this.skus.length, interactions: this.interactions, neighbours: pairs };
    return { version: this.options.version ?? versionOf(fittedAt), fittedAt: fittedAt.toISOString(), items, popular, popularByCategory: byCategory, params: p, stats };
  }

  private categoryOf(sku: string): string | undefined {
    const known = this.category.get(sku);
    if (known !== undefined) return known;
    const candidates = this.categoryCandidates.get(sku);
    return candidates?.size === 1 ? [...candidates][0] : undefined;
  }

  /** One row per user, then (basketWeight > 0) one per order, weighted basketWeight. */
  private matrix(): Matrix {
    const p = this.params;
    const baskets = p.basketWeight > 0 ? [...this.baskets.values()] : [];
    const users = this.rows.size + baskets.length;
    const userStart = new Int32Array(users + 1);
    const weights = new Float64Array(users);
    let nnz = 0;
    for (const row of this.rows.values()) nnz += row.size;
    for (const basket of baskets) nnz += basket.size;
    const userItems = new Int32Array(nnz);
    const userValues = new Float64Array(nnz);
    let u = 0;
    let k = 0;
    const addRow = (cells: Iterable<[number, number]>, size: number, rowWeight: number) => {
      weights[u] = rowWeight * size ** -p.userWeightPower;
      userStart[u++] = k;
      for (const [item, strength] of cells) {
        userItems[k] = item;
        userValues[k] = this.plain ? 1 : Math.log1p(strength);
        k++;
      }
    };
    for (const row of this.rows.values()) addRow([...row].map(([item, [strength]]) => [item, strength]), row.size, 1);
    for (const basket of baskets) addRow(basket, basket.size, p.basketWeight);
    userStart[users] = k;
    return { items: this.skus.length, users, userStart, userItems, userValues, weights, order: skuOrder(this.skus) };
  }

  /** Σ over users of their most recent interaction's weight with the item: distinct, trending buyers. */
  private popularity(items: Map<string, ItemEntry>): { popular: string[]; byCategory: Map<string, string[]> } {
    const score = new Float64Array(this.skus.length);
    for (const row of this.rows.values()) for (const [item, [, recent]] of row) score[item]! += recent;
    const order = skuOrder(this.skus);
    const ranked = this.skus.map((_, i) => i).filter((i) => score[i]! > 0);
    ranked.sort((a, b) => score[b]! - score[a]! || order[a]! - order[b]!);
    const limit = this.params.popularItems;
    const byCategory = new Map<string, string[]>();
    for (const i of ranked) {
      const c = items.get(this.skus[i]!)?.category;
      if (c === undefined) continue;
      let list = byCategory.get(c);
      if (!list) byCategory.set(c, (list = []));
      if (list.length < limit) list.push(this.skus[i]!);
    }
    return { popular: ranked.slice(0, limit).map((i) => this.skus[i]!), byCategory };
  }
}

/** Users × items in compressed rows; `order` ranks item indexes in sku string order. */
interface Matrix {
  items: number;
  users: number;
  /** userStart[u]..userStart[u+1] index userItems / userValues. */
  userStart: Int32Array;
  userItems: Int32Array;
  userValues: Float64Array;
  /** Each row's weight w_u. */
  weights: Float64Array;
  order: Int32Array;
}

/**
 * sim(i, j) = Σ_u w_u r_ui r_uj / (‖r_i‖^(2α) ‖r_j‖^(2(1−α))), the norms weighted by w_u too; the top
 * `neighbours` per item, ties to the smaller sku so training is deterministic.
 */
function itemNeighbours(m: Matrix, neighbours: number, alpha: number): Map<number, [number, number][]> {
  const nItems = m.items;
  // Item → users (compressed columns), to walk "users of item i" quickly.
  const itemStart = new Int32Array(nItems + 1);
  for (let k = 0; k < m.userItems.length; k++) itemStart[m.userItems[k]! + 1]!++;
  for (let i = 0; i < nItems; i++) itemStart[i + 1]! += itemStart[i]!;
  const fill = itemStart.slice(0, nItems);
  const itemUsers = new Int32Array(m.userItems.length);
  const itemValues = new Float64Array(m.userItems.length);
  const weights = m.weights;
  const norm2 = new Float64Array(nItems);
  for (let u = 0; u < m.users; u++) {
    const w = weights[u]!;
    for (let k = m.userStart[u]!; k < m.userStart[u + 1]!; k++) {
      const i = m.userItems[k]!;
      const slot = fill[i]!++;
      itemUsers[slot] = u;
      itemValues[slot] = m.userValues[k]!;
      norm2[i]! += w * m.userValues[k]! ** 2;
    }
  }
  const normA = new Float64Array(nItems);
  const normB = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    // ‖i‖^(2α) = (‖i‖²)^α: α = ½ is the plain cosine.
    normA[i] = norm2[i]! ** alpha;
    normB[i] = norm2[i]! ** (1 - alpha);
  }
  const dot = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const byOrder = (a: number, b: number) => m.order[a]! - m.order[b]!;
  const out = new Map<number, [number, number][]>();
  for (let i = 0; i < nItems; i++) {
    let nTouched = 0;
    for (let a = itemStart[i]!; a < itemStart[i + 1]!; a++) {
      const u = itemUsers[a]!;
      const wv = weights[u]! * itemValues[a]!;
      for (let k = m.userStart[u]!; k < m.userStart[u + 1]!; k++) {
        const j = m.userItems[k]!;
        if (j === i) continue;
        if (dot[j] === 0) touched[nTouched++] = j;
        dot[j]! += wv * m.userValues[k]!;
      }
    }
    const top = new TopK(neighbours, byOrder);
    for (let t = 0; t < nTouched; t++) {
      const j = touched[t]!;
      top.push(j, dot[j]! / (normA[i]! * normB[j]!));
      dot[j] = 0;
    }
    const list = top.sorted();
    if (list.length > 0) out.set(i, list);
  }
  return out;
}

/** Rank of each sku in string order: the tie-breaker that makes results independent of input order. */
function skuOrder(skus: string[]): Int32Array {
  const idx = skus.map((_, i) => i).sort((a, b) => (skus[a]! < skus[b]! ? -1 : skus[a]! > skus[b]! ? 1 : 0));
  const rank = new Int32Array(skus.length);
  idx.forEach((i, r) => (rank[i] = r));
  return rank;
}

/** 2^(−age / halfLife); an infinite half-life means no decay. Negative ages (clock skew) count as 0. */
export function decay(ageMs: number, halfLifeDays: number): number {
  if (!Number.isFinite(halfLifeDays)) return 1;
  return 2 ** (-Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}

/** "2011-12-10T01:02:03.456Z" → "20111210T010203456Z": sorts by time, and safe inside a key. */
export function versionOf(at: Date): string {
  return at.toISOString().replace(/[-:.]/g, '');
}

export interface TrainOptions {
  params?: Partial<ModelParams>;
  /** Default: the newest interaction's time. */
  fittedAt?: Date;
  version?: string;
}

function newestTime(interactions: readonly Interaction[]): Date {
  let newest = 0;
  for (const x of interactions) if (x.t > newest) newest = x.t;
  return new Date(newest);
}

/** Rewake's model from an array of interactions. */
export function trainRecommender(interactions: readonly Interaction[], options: TrainOptions = {}): RecModel {
  const trainer = new RecommenderTrainer({ ...options, fittedAt: options.fittedAt ?? newestTime(interactions) });
  for (const x of interactions) trainer.add(x);
  return trainer.train();
}

/** The textbook item-kNN baseline; serve it with `recommendItemKnn`. */
export function trainItemKnn(interactions: readonly Interaction[], neighbours = BASELINE_NEIGHBOURS): RecModel {
  const trainer = new RecommenderTrainer({ fittedAt: newestTime(interactions), flavour: 'plain', params: { neighbours } });
  for (const x of interactions) trainer.add(x);
  return trainer.train();
}
