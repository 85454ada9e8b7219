/**
 * The k best (id, score) pairs of a stream, in O(n log k): a min-heap whose root is the worst kept
 * pair. Equal scores are ordered by `tieBreak` (smaller first), so the result never depends on the
 * order the pairs arrived in.
 */
export class TopK<T> {
  private readonly ids: T[] = [];
  private readonly scores: number[] = [];

  constructor(
    private readonly k: number,
    private readonly tieBreak: (a: T, b: T) => number,
  ) {}

  /** True when a is worse than b: lower score, or the same score and later in tie order. */
  private worse(a: number, b: number): boolean {
    const sa = this.scores[a]!;
    const sb = this.scores[b]!;
    return sa < sb || (sa === sb && this.tieBreak(this.ids[a]!, this.ids[b]!) > 0);
  }

  push(id: T, score: number): void {
    if (this.k <= 0) return;
    if (this.ids.length < this.k) {
      this.ids.push(id);
      this.scores.push(score);
      this.up(this.ids.length - 1);
      return;
    }
    const root = this.scores[0]!;
    if (score < root || (score === root && this.tieBreak(id, this.ids[0]!) > 0)) return;
    this.ids[0] = id;
    this.scores[0] = score;
    this.down(0);
  }

  /** Best first. */
  sorted(): [T, number][] {
    const out = this.ids.map((id, i) => [id, this.scores[i]!] as [T, number]);
    return out.sort((a, b) => b[1] - a[1] || this.tieBreak(a[0], b[0]));
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.ids.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < n && this.worse(l, worst)) worst = l;
      if (r < n && this.worse(r, worst)) worst = r;
      if (worst === i) return;
      this.swap(i, worst);
      i = worst;
    }
  }

  private swap(a: number, b: number): void {
    [this.ids[a], this.ids[b]] = [this.ids[b]!, this.ids[a]!];
    [this.scores[a], this.scores[b]] = [this.scores[b]!, this.scores[a]!];
  }
}
