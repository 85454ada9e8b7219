/**
 * Holdout validation: the "conditional expectation" table of Fader, Hardie & Lee (2005,
 * Marketing Science, p. 281; BTYD vignette §4.4): customers binned by calibration x, with the
 * mean actual holdout purchases x* and each model's mean conditional expectation per bin.
 */
import { expectedPurchases, type TransactionModel } from './predict';
import { compressRfm } from './rfm';

export interface HoldoutBin {
  /** "0", "1", …, "7+" */
  label: string;
  customers: number;
  actualMean: number;
  /** Mean E[Y(holdout) | x, t_x, T] per model, keyed like the `models` argument. */
  predictedMean: Record<string, number>;
}

export interface HoldoutTable {
  bins: HoldoutBin[];
  /** Σ x* and Σ predicted over all customers. */
  actualTotal: number;
  predictedTotal: Record<string, number>;
}

/**
 * Builds the table. `holdoutLength` is in model time units (39 weeks for CDNOW's weeks 40–78);
 * the last bin collects x ≥ `topBin`.
 */
export function conditionalExpectationTable(
  summary: { x: ArrayLike<number>; tx: ArrayLike<number>; T: ArrayLike<number>; xStar: ArrayLike<number> },
  models: Record<string, TransactionModel>,
  holdoutLength: number,
  topBin = 7,
): HoldoutTable {
  const nb = topBin + 1;
  const count = new Float64Array(nb);
  const actual = new Float64Array(nb);
  let actualTotal = 0;
  for (let i = 0; i < summary.x.length; i++) {
    const b = Math.min(summary.x[i]!, topBin);
    count[b] = count[b]! + 1;
    actual[b] = actual[b]! + summary.xStar[i]!;
    actualTotal += summary.xStar[i]!;
  }
  // Predictions depend on (x, t_x, T) only: evaluate once per distinct row.
  const rows = compressRfm(summary.x, summary.tx, summary.T);
  const predicted: Record<string, Float64Array> = {};
  const predictedTotal: Record<string, number> = {};
  for (const [name, model] of Object.entries(models)) {
    const sums = new Float64Array(nb);
    let total = 0;
    for (let r = 0; r < rows.rows; r++) {
      const e = expectedPurchases(model, { x: rows.x[r]!, tx: rows.tx[r]!, T: rows.T[r]! }, holdoutLength) * rows.weight[r]!;
      const b = Math.min(rows.x[r]!, topBin);
      sums[b] = sums[b]! + e;
      total += e;
    }
    predicted[name] = sums;
    predictedTotal[name] = total;
  }
  const bins: HoldoutBin[] = [];
  for (let b = 0; b < nb; b++) {
    const predictedMean: Record<string, number> = {};
    for (const name of Object.keys(models)) predictedMean[name] = count[b]! > 0 ? predicted[name]![b]! / count[b]! : NaN;
    bins.push({
      label: b === topBin ? `${topBin}+` : String(b),
      customers: count[b]!,
      actualMean: count[b]! > 0 ? actual[b]! / count[b]! : NaN,
      predictedMean,
    });
  }
  return { bins, actualTotal, predictedTotal };
}
