/**
 * Rewake customer-base models: buy-till-you-die transaction models (BG/NBD, MBG/NBD, Pareto/NBD)
 * and the Gamma-Gamma spend model, fitted by maximum likelihood on compressed RFM data, with
 * per-customer P(alive), expected purchases, expected spend and discounted CLV.
 *
 * Typical use:
 *   const summary = summarizeTransactions(transactions, { calibrationEndDay, periodDays: 7 });
 *   const fits = fitAll(summary);                       // statuses say whether each fit is usable
 *   if (fits.bgnbd?.status.ok && fits.gammaGamma?.status.ok) {
 *     const model = { model: 'bgnbd', params: fits.bgnbd.params } as const;
 *     const score = scoreCustomer(model, fits.gammaGamma.params, { x, tx, T, mx },
 *       { horizon: 13, clv: { periods: 12, periodLength: 4.345, discountRate: 0.01 } });
 *   }
 *
 * Everything here is pure TypeScript with no I/O.
 */
export type { BgParams, BgVariant } from './bg-kernel';
export {
  bgnbdConditionalExpectedPurchases,
  bgnbdDataLogLikelihood,
  bgnbdExpectedPurchases,
  bgnbdLogLikelihood,
  bgnbdPAlive,
  bgnbdProbabilityOfPurchases,
  type BgNbdParams,
} from './bgnbd';
export {
  mbgnbdConditionalExpectedPurchases,
  mbgnbdDataLogLikelihood,
  mbgnbdExpectedPurchases,
  mbgnbdLogLikelihood,
  mbgnbdPAlive,
  type MbgNbdParams,
} from './mbgnbd';
export {
  paretoNbdConditionalExpectedPurchases,
  paretoNbdDataLogLikelihood,
  paretoNbdExpectedPurchases,
  paretoNbdLogLikelihood,
  paretoNbdPAlive,
  type ParetoNbdParams,
} from './pareto-nbd';
export {
  gammaGammaDataLogLikelihood,
  gammaGammaExpectedAverageSpend,
  gammaGammaLogLikelihood,
  gammaGammaPopulationMean,
  type GammaGammaParams,
} from './gamma-gamma';
export {
  DEGENERACY,
  fitAll,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  type BgNbdFit,
  type Degeneracy,
  type FitAllOptions,
  type FitDiagnostics,
  type FitOptions,
  type FitStatus,
  type FittedModels,
  type GammaGammaFit,
  type MbgNbdFit,
  type ModelName,
  type ParetoNbdFit,
} from './fit';
export {
  customerLifetimeValue,
  expectedAverageSpend,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  pAlive,
  profileFromDays,
  scoreCustomer,
  type ClvOptions,
  type CustomerProfile,
  type CustomerScore,
  type ScoreOptions,
  type TransactionModel,
} from './predict';
export {
  compressRfm,
  compressSpend,
  epochDay,
  formatDay,
  parseDay,
  summarizeTransactions,
  validateRfm,
  type CompressedRfm,
  type CompressedSpend,
  type CustomerSummaries,
  type SummarizeOptions,
  type Transaction,
} from './rfm';
export { parseCdnow, parseTransactionsCsv, TransactionParseError } from './parse';
export { conditionalExpectationTable, type HoldoutBin, type HoldoutTable } from './backtest';
export { Rng, simulateCustomers, type SimulatedCustomers, type SimulationOptions } from './simulate';
