/**
 * The recommender's data: interactions in, a model out. Pure types, no AWS: the same model is
 * trained in a Lambda, in the CLI and in tests, and is served from DynamoDB or from memory.
 */

export type InteractionKind = 'purchase' | 'browse';

/** One thing a user did with one item. Purchases of several items are one interaction per item. */
export interface Interaction {
  userId: string;
  sku: string;
  /** Epoch milliseconds. */
  t: number;
  kind: InteractionKind;
  category?: string;
  quantity?: number;
  /** A display name, when the source has one (Online Retail's Description). */
  name?: string;
}

/** A user's own past, as `recommend` reads it: the same shape as an interaction, without the user. */
export type HistoryEntry = Omit<Interaction, 'userId'>;

/** [neighbour sku, similarity]. Tuples keep the stored form small. */
export type Neighbour = readonly [sku: string, score: number];

export interface ItemEntry {
  /** Most similar items first; never the item itself. */
  neighbours: Neighbour[];
  category?: string;
  name?: string;
}

export type RecSource = 'personal' | 'category' | 'popular';

export interface Recommendation {
  sku: string;
  source: RecSource;
  /** The list's order is the ranking; scores compare only items of the same source in one list. */
  score: number;
}

/**
 * A trained item-to-item model. `items` may be partial: at send time the store loads only the
 * entries of the user's own skus (and `popularByCategory` only for the user's categories), which is
 * all `recommend` reads.
 */
export interface RecModel {
  /** Identifies one training run; stored items of one run share it. */
  version: string;
  fittedAt: string;
  items: Map<string, ItemEntry>;
  /** Most popular first (recency-weighted buyers), for fallbacks and the non-personalised offer. */
  popular: string[];
  popularByCategory: Map<string, string[]>;
  /** The settings the model was trained with; serving reads the history weights from here. */
  params: ModelParams;
  stats: ModelStats;
}

export interface ModelStats {
  users: number;
  items: number;
  interactions: number;
  /** Neighbour pairs kept, over all items. */
  neighbours: number;
}

/** Training and serving knobs; DEFAULT_PARAMS says how the defaults were chosen. */
export interface ModelParams {
  /** Neighbours kept per item. */
  neighbours: number;
  /** Popular items kept, overall and per category. */
  popularItems: number;
  /** A view counts this much of a purchase. */
  browseWeight: number;
  /** Half-life of an interaction's weight in training (days before the newest interaction). */
  trainHalfLifeDays: number;
  /** Half-life of the popularity count (trending beats all-time in a seasonal shop). */
  popularityHalfLifeDays: number;
  /** Cosine asymmetry: sim(i→j) = dot / (‖i‖^(2α) ‖j‖^(2(1−α))); ½ is the plain cosine, more favours popular j. */
  alpha: number;
  /**
   * Serving sharpens similarities to this power before summing them, so one strong neighbour
   * outweighs many weak ones (a sum of many weak similarities mostly finds popular items).
   */
  similarityPower: number;
  /** Half-life of the user's own history when serving. */
  historyHalfLifeDays: number;
  /** Weight of "buy again" relative to neighbour scores ("all items" only). */
  repeatWeight: number;
  /**
   * A user's (or basket's) pairs count (items in it)^−userWeightPower: ½ is the "inverse user
   * frequency" 1/√n; 0 counts every user alike.
   */
  userWeightPower: number;
  /**
   * Weight of same-order (basket) co-occurrence next to user-level co-occurrence: each order is
   * one more row of the matrix, weighted this much. 0: user-level only.
   */
  basketWeight: number;
  /**
   * 'new' mode only: a candidate that is also trending gets up to this much extra, linear in its
   * rank in `popular`, on a score whose maximum is 1. Optional: models stored before it existed
   * read as 0.
   */
  popularityPrior?: number;
}
