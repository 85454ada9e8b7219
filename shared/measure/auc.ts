/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting one half (the Mann–Whitney U statistic over n⁺·n⁻). O(n log n).
 */
export function auc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPositive = 0;
  let positives = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1; // ranks are 1-based; tied scores share their mean rank
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        rankSumPositive += midRank;
        positives++;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSumPositive - (positives * (positives + 1)) / 2) / (positives * negatives);
}
