/**
 * From transactions to the per-customer statistics the models need, and compression of those
 * statistics into distinct rows with counts so a fit costs O(distinct rows), not O(customers).
 *
 * Definitions (those that reproduce Fader, Hardie & Lee's CDNOW numbers exactly; see
 * tests/fixtures/cdnow/README.md):
 * - All transactions by one customer on one calendar day are merged into one (amounts summed).
 * - Only customers whose first purchase is on or before the calibration end are summarised.
 * - x   = number of repeat transactions in the calibration period: days with a purchase after
 *         the first purchase day, up to and including the calibration end day.
 * - t_x = (last calibration repeat purchase day − first purchase day) / periodDays, 0 if x = 0.
 * - T   = (calibration end day − first purchase day) / periodDays.
 * - m_x = mean value of the repeat transactions only (the first purchase is excluded); 0 if x = 0.
 * - x*  = repeat transactions after the calibration end, up to the holdout end (if one is given).
 *
 * Days are whole UTC days counted from 1970-01-01 ("epoch days").
 */

/** One purchase. `day` is an epoch day (see `epochDay`). */
export interface Transaction {
  customerId: string;
  day: number;
  amount: number;
}

/** Per-customer summary, column-oriented (index i is one customer). Times are in periods. */
export interface CustomerSummaries {
  ids: string[];
  /** Repeat transactions in the calibration period. */
  x: Float64Array;
  /** Recency: time of the last repeat transaction since the first purchase (0 if x = 0). */
  tx: Float64Array;
  /** Age: calibration end minus first purchase. */
  T: Float64Array;
  /** Mean value of the repeat transactions (0 if x = 0). */
  mx: Float64Array;
  /** First purchase, epoch day. */
  firstDay: Int32Array;
  /** Repeat transactions in the holdout period (all zero unless a holdout end was given). */
  xStar: Float64Array;
  /** Length of one time unit in days (7 = weeks). */
  periodDays: number;
  calibrationEndDay: number;
  holdoutEndDay?: number;
}

export interface SummarizeOptions {
  /** Last day of the calibration period (inclusive), epoch day. */
  calibrationEndDay: number;
  /** Days per time unit. Default 7 (weeks). */
  periodDays?: number;
  /** Last day of the holdout period (inclusive), epoch day; enables x*. */
  holdoutEndDay?: number;
}

const MS_PER_DAY = 86_400_000;

/** Epoch day of a calendar date. */
export function epochDay(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / MS_PER_DAY);
}

/**
 * Parses `YYYY-MM-DD`, `YYYYMMDD`, or an ISO timestamp (`YYYY-MM-DDTHH:MM…` or `YYYY-MM-DD HH:MM…`)
 * to an epoch day. A timestamp's calendar date is taken as written (its local date), not shifted
 * to UTC, so a purchase is counted on the day the source system recorded it. Returns NaN when
 * the text is not a valid date.
 */
export function parseDay(text: string): number {
  const s = text.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(s);
  if (!m) m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return NaN;
  const day = epochDay(y, mo, d);
  // Reject dates such as 2023-02-30 that Date.UTC silently rolls over.
  const back = new Date(day * MS_PER_DAY);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return NaN;
  return day;
}

/** `YYYY-MM-DD` of an epoch day. */
export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/**
 * Summarises transactions per customer with the definitions above. Customers are returned in
 * order of first appearance in the input.
 */
export function summarizeTransactions(transactions: Iterable<Transaction>, options: SummarizeOptions): CustomerSummaries {
  const periodDays = options.periodDays ?? 7;
  const calEnd = options.calibrationEndDay;
  const holdEnd = options.holdoutEndDay;
  if (!(periodDays > 0)) throw new RangeError('periodDays must be positive');
  // Group by customer, then by day (merging same-day purchases).
  const byCustomer = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    let days = byCustomer.get(t.customerId);
    if (!days) {
      days = new Map();
      byCustomer.set(t.customerId, days);
    }
    days.set(t.day, (days.get(t.day) ?? 0) + t.amount);
  }
  const ids: string[] = [];
  const xs: number[] = [];
  const txs: number[] = [];
  const Ts: number[] = [];
  const mxs: number[] = [];
  const firsts: number[] = [];
  const xStars: number[] = [];
  for (const [id, days] of byCustomer) {
    const sorted = [...days.keys()].sort((a, b) => a - b);
    const first = sorted[0]!;
    if (first > calEnd) continue; // not yet a customer at the calibration end
    let x = 0;
    let last = first;
    let spend = 0;
    let xStar = 0;
    for (let i = 1; i < sorted.length; i++) {
      const d = sorted[i]!;
      if (d <= calEnd) {
        x++;
        last = d;
        spend += days.get(d)!;
      } else if (holdEnd !== undefined && d <= holdEnd) {
        xStar++;
      }
    }
    ids.push(id);
    xs.push(x);
    txs.push(x > 0 ? (last - first) / periodDays : 0);
    Ts.push((calEnd - first) / periodDays);
    mxs.push(x > 0 ? spend / x : 0);
    firsts.push(first);
    xStars.push(xStar);
  }
  const out: CustomerSummaries = {
    ids,
    x: Float64Array.from(xs),
    tx: Float64Array.from(txs),
    T: Float64Array.from(Ts),
    mx: Float64Array.from(mxs),
    firstDay: Int32Array.from(firsts),
    xStar: Float64Array.from(xStars),
    periodDays,
    calibrationEndDay: calEnd,
  };
  if (holdEnd !== undefined) out.holdoutEndDay = holdEnd;
  return out;
}

/**
 * Distinct (x, t_x, T) rows with their counts. `txIndex` and `TIndex` point into the sorted
 * distinct values of t_x and T, and `xIndex` into the distinct x values, so a likelihood can
 * compute ln(α + T) once per distinct T instead of once per customer.
 */
export interface CompressedRfm {
  /** Number of distinct rows. */
  rows: number;
  /** Number of customers represented (Σ weight). */
  customers: number;
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  xValues: Float64Array;
  txValues: Float64Array;
  TValues: Float64Array;
  xIndex: Int32Array;
  txIndex: Int32Array;
  TIndex: Int32Array;
}

const bitsF64 = new Float64Array(1);
const bitsU32 = new Uint32Array(bitsF64.buffer);

/**
 * Sorted distinct values of `values` and, for each input, the index of its value. Uses an
 * open-addressing hash table keyed on the doubles' bit patterns (much faster than a Map or a
 * sort for millions of numbers with few distinct values). −0 is treated as +0.
 */
function dictionary(values: ArrayLike<number>): { sorted: Float64Array; index: Int32Array } {
  const n = values.length;
  let cap = 1024;
  let keys = new Float64Array(cap);
  let slots = new Int32Array(cap).fill(-1); // slot → distinct-value id
  let distinct = new Float64Array(256);
  let u = 0;
  const firstId = new Int32Array(n);
  const slotOf = (v: number, mask: number, k: Float64Array, sl: Int32Array): number => {
    bitsF64[0] = v;
    let h = Math.imul(bitsU32[0]! ^ Math.imul(bitsU32[1]!, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & mask;
    while (sl[i]! >= 0 && k[i] !== v) i = (i + 1) & mask;
    return i;
  };
  for (let i = 0; i < n; i++) {
    const v = values[i]! === 0 ? 0 : values[i]!;
    let slot = slotOf(v, cap - 1, keys, slots);
    if (slots[slot]! < 0) {
      if (u === distinct.length) {
        const grown = new Float64Array(u * 2);
        grown.set(distinct);
        distinct = grown;
      }
      distinct[u] = v;
      if ((u + 1) * 2 > cap) {
        // Grow and rehash.
        const newCap = cap * 2;
        const newKeys = new Float64Array(newCap);
        const newSlots = new Int32Array(newCap).fill(-1);
        for (let id = 0; id < u; id++) {
          const s2 = slotOf(distinct[id]!, newCap - 1, newKeys, newSlots);
          newKeys[s2] = distinct[id]!;
          newSlots[s2] = id;
        }
        cap = newCap;
        keys = newKeys;
        slots = newSlots;
        slot = slotOf(v, cap - 1, keys, slots);
      }
      keys[slot] = v;
      slots[slot] = u;
      u++;
    }
    firstId[i] = slots[slot]!;
  }
  // Rank the distinct values so indices follow sorted order.
  const sorted = distinct.slice(0, u).sort();
  const rank = new Int32Array(u);
  for (let id = 0; id < u; id++) {
    const v = distinct[id]!;
    let lo = 0;
    let hi = u - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    rank[id] = lo;
  }
  const index = new Int32Array(n);
  for (let i = 0; i < n; i++) index[i] = rank[firstId[i]!]!;
  return { sorted, index };
}

/** Checks that (x, t_x, T) are valid BTYD statistics; throws RangeError naming the first bad row. */
export function validateRfm(x: ArrayLike<number>, tx: ArrayLike<number>, T: ArrayLike<number>): void {
  if (x.length !== tx.length || x.length !== T.length) throw new RangeError('x, t_x and T must have the same length');
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    const ti = tx[i]!;
    const Ti = T[i]!;
    if (!(Number.isInteger(xi) && xi >= 0)) throw new RangeError(`row ${i}: x must be a non-negative integer, got ${xi}`);
    if (!(Number.isFinite(Ti) && Ti >= 0)) throw new RangeError(`row ${i}: T must be finite and ≥ 0, got ${Ti}`);
    if (!(Number.isFinite(ti) && ti >= 0 && ti <= Ti)) throw new RangeError(`row ${i}: need 0 ≤ t_x ≤ T, got t_x=${ti}, T=${Ti}`);
    if (xi === 0 && ti !== 0) throw new RangeError(`row ${i}: t_x must be 0 when x = 0`);
  }
}

/**
 * Compresses per-customer (x, t_x, T) to distinct rows with counts (optionally weighted input).
 * Validates the input first.
 */
export function compressRfm(
  x: ArrayLike<number>,
  tx: ArrayLike<number>,
  T: ArrayLike<number>,
  inputWeight?: ArrayLike<number>,
): CompressedRfm {
  validateRfm(x, tx, T);
  const n = x.length;
  const dx = dictionary(x);
  const dt = dictionary(tx);
  const dT = dictionary(T);
  const nt = dt.sorted.length;
  const nT = dT.sorted.length;
  const keySpace = dx.sorted.length * nt * nT;
  const xIdx = dx.index;
  const tIdx = dt.index;
  const TIdx = dT.index;
  // Row attributes, allocated for the worst case (every customer distinct) and trimmed after.
  const rowX = new Int32Array(n);
  const rowT = new Int32Array(n);
  const rowt = new Int32Array(n);
  const w = new Float64Array(n);
  let rows = 0;
  if (keySpace <= Math.max(4 * n, 1 << 22)) {
    // Dense lookup table over all (x, T, t_x) index combinations: no hashing at all.
    const table = new Int32Array(keySpace).fill(-1);
    for (let i = 0; i < n; i++) {
      const key = (xIdx[i]! * nT + TIdx[i]!) * nt + tIdx[i]!;
      const wi = inputWeight === undefined ? 1 : inputWeight[i]!;
      let r = table[key]!;
      if (r < 0) {
        r = rows++;
        table[key] = r;
        rowX[r] = xIdx[i]!;
        rowT[r] = TIdx[i]!;
        rowt[r] = tIdx[i]!;
      }
      w[r] = w[r]! + wi;
    }
  } else {
    // Exact integer keys while they stay below 2^53; string keys beyond.
    const exact = keySpace < 2 ** 52;
    const rowOf = new Map<number | string, number>();
    for (let i = 0; i < n; i++) {
      const key: number | string = exact ? (xIdx[i]! * nT + TIdx[i]!) * nt + tIdx[i]! : `${xIdx[i]},${TIdx[i]},${tIdx[i]}`;
      const wi = inputWeight === undefined ? 1 : inputWeight[i]!;
      let r = rowOf.get(key);
      if (r === undefined) {
        r = rows++;
        rowOf.set(key, r);
        rowX[r] = xIdx[i]!;
        rowT[r] = TIdx[i]!;
        rowt[r] = tIdx[i]!;
      }
      w[r] = w[r]! + wi;
    }
  }
  const out: CompressedRfm = {
    rows,
    customers: 0,
    x: new Float64Array(rows),
    tx: new Float64Array(rows),
    T: new Float64Array(rows),
    weight: w.slice(0, rows),
    xValues: dx.sorted,
    txValues: dt.sorted,
    TValues: dT.sorted,
    xIndex: rowX.slice(0, rows),
    txIndex: rowt.slice(0, rows),
    TIndex: rowT.slice(0, rows),
  };
  let total = 0;
  for (let r = 0; r < rows; r++) {
    out.x[r] = dx.sorted[rowX[r]!]!;
    out.tx[r] = dt.sorted[rowt[r]!]!;
    out.T[r] = dT.sorted[rowT[r]!]!;
    total += w[r]!;
  }
  out.customers = total;
  return out;
}

/**
 * Spend data for the Gamma-Gamma model: the customers with x > 0, grouped by x. Within a group
 * the sufficient statistics are the count and Σ ln m_x; only the ln(x·m_x + γ) term needs each
 * customer's m_x, so those are kept in `m` (ordered by group, `groupStart[g]..groupStart[g+1]`).
 */
export interface CompressedSpend {
  customers: number;
  /** Distinct x values (all ≥ 1). */
  xValues: Float64Array;
  /** Customers per distinct x. */
  groupCount: Float64Array;
  /** Σ ln m_x per distinct x. */
  groupSumLogM: Float64Array;
  groupStart: Int32Array;
  /** x·m_x per customer (total repeat spend), ordered by group. */
  totalSpend: Float64Array;
}

/** Groups the spend of customers with x > 0 by x; customers with x = 0 are skipped. */
export function compressSpend(x: ArrayLike<number>, mx: ArrayLike<number>): CompressedSpend {
  if (x.length !== mx.length) throw new RangeError('x and m_x must have the same length');
  const counts = new Map<number, number>();
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    if (xi <= 0) continue;
    const mi = mx[i]!;
    if (!(Number.isInteger(xi))) throw new RangeError(`row ${i}: x must be an integer, got ${xi}`);
    if (!(Number.isFinite(mi) && mi > 0)) throw new RangeError(`row ${i}: m_x must be positive when x > 0, got ${mi}`);
    counts.set(xi, (counts.get(xi) ?? 0) + 1);
  }
  const xValues = Float64Array.from(counts.keys()).sort();
  const g = xValues.length;
  const groupOf = new Map<number, number>();
  xValues.forEach((v, i) => groupOf.set(v, i));
  const groupStart = new Int32Array(g + 1);
  const groupCount = new Float64Array(g);
  for (let i = 0; i < g; i++) {
    groupCount[i] = counts.get(xValues[i]!)!;
    groupStart[i + 1] = groupStart[i]! + groupCount[i]!;
  }
  const fill = Int32Array.from(groupStart.subarray(0, g));
  const totalSpend = new Float64Array(groupStart[g]!);
  const groupSumLogM = new Float64Array(g);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    if (xi <= 0) continue;
    const gi = groupOf.get(xi)!;
    const mi = mx[i]!;
    totalSpend[fill[gi]!] = xi * mi;
    fill[gi] = fill[gi]! + 1;
    groupSumLogM[gi] = groupSumLogM[gi]! + Math.log(mi);
  }
  return { customers: groupStart[g]!, xValues, groupCount, groupSumLogM, groupStart, totalSpend };
}

/** Deterministic stochastic rounding of w·f (floor, plus 1 with probability of the fraction). */
function thinWeight(w: number, f: number, u: number): number {
  const v = w * f;
  const fl = Math.floor(v);
  return fl + (u < v - fl ? 1 : 0);
}

/** A small seeded uniform generator (mulberry32) for thinning; quality is ample for this. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random subsample of about `target` customers from compressed data (each row's count scaled
 * by target/customers with stochastic rounding; rows left empty are dropped). Used to screen
 * starting points cheaply before refining on all the data. Deterministic for a seed.
 */
export function thinRfm(d: CompressedRfm, target: number, seed = 1): CompressedRfm {
  const f = Math.min(1, target / d.customers);
  const u = mulberry32(seed);
  const keep: number[] = [];
  const w: number[] = [];
  for (let r = 0; r < d.rows; r++) {
    const wr = thinWeight(d.weight[r]!, f, u());
    if (wr > 0) {
      keep.push(r);
      w.push(wr);
    }
  }
  const pick = <A extends Float64Array | Int32Array>(src: A, make: (n: number) => A): A => {
    const out = make(keep.length);
    for (let i = 0; i < keep.length; i++) out[i] = src[keep[i]!]!;
    return out;
  };
  const f64 = (n: number): Float64Array => new Float64Array(n);
  const i32 = (n: number): Int32Array => new Int32Array(n);
  return {
    rows: keep.length,
    customers: w.reduce((a, b) => a + b, 0),
    x: pick(d.x, f64),
    tx: pick(d.tx, f64),
    T: pick(d.T, f64),
    weight: Float64Array.from(w),
    xValues: d.xValues,
    txValues: d.txValues,
    TValues: d.TValues,
    xIndex: pick(d.xIndex, i32),
    txIndex: pick(d.txIndex, i32),
    TIndex: pick(d.TIndex, i32),
  };
}

/** A random subsample of about `target` customers of spend data (see thinRfm). */
export function thinSpend(d: CompressedSpend, target: number, seed = 1): CompressedSpend {
  const f = Math.min(1, target / d.customers);
  const u = mulberry32(seed);
  const xs: number[] = [];
  const counts: number[] = [];
  const sums: number[] = [];
  const starts: number[] = [0];
  const spend: number[] = [];
  for (let g = 0; g < d.xValues.length; g++) {
    const x = d.xValues[g]!;
    let n = 0;
    let sumLog = 0;
    for (let i = d.groupStart[g]!; i < d.groupStart[g + 1]!; i++) {
      if (u() < f) {
        n++;
        spend.push(d.totalSpend[i]!);
        sumLog += Math.log(d.totalSpend[i]! / x);
      }
    }
    if (n > 0) {
      xs.push(x);
      counts.push(n);
      sums.push(sumLog);
      starts.push(spend.length);
    }
  }
  return {
    customers: spend.length,
    xValues: Float64Array.from(xs),
    groupCount: Float64Array.from(counts),
    groupSumLogM: Float64Array.from(sums),
    groupStart: Int32Array.from(starts),
    totalSpend: Float64Array.from(spend),
  };
}
