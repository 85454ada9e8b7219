/**
 * Maximum-likelihood fits of the customer-base models, with degenerate fits detected and reported
 * rather than thrown.
 *
 * Every fit works in log-parameter space (so parameters stay positive without bounds), with the
 * analytic gradient of the models' log-likelihoods, on compressed data (distinct rows with
 * counts). The minimiser is L-BFGS from several starting points, with a Nelder–Mead fallback
 * for a start that fails (see optimize.ts). The objective is the per-customer mean negative
 * log-likelihood, so tolerances do not depend on the number of customers.
 *
 * A fit can be mathematically fine and still useless. The status says so:
 * - `dropout-collapsed`: the dropout process vanished (BG/NBD, MBG/NBD: a → 0 or b → ∞, i.e.
 *   E[p] = a/(a+b) ≈ 0; Pareto/NBD: s → 0 or s/β → 0), or, short of the boundary, the model fits
 *   no better than the nested no-dropout NBD (likelihood-ratio test at 5%). Either way the model
 *   is a plain NBD in which nobody leaves, so P(alive) ≈ 1 for all and cannot rank dormant
 *   customers. Seen on UCI Online Retail (wholesalers, left-censored history): BG/NBD a ≈ 0.003,
 *   a log-likelihood gain of 0.12 over the NBD.
 * - `spend-mean-infinite`: Gamma-Gamma q ≤ 1, so the mean spend pγ/(q−1) does not exist.
 * - `spend-variance-collapsed`: Gamma-Gamma p → ∞, every customer's transactions have the same
 *   value; the model adds nothing to m_x.
 * - `not-converged`: no start reached a stationary point.
 * - `insufficient-data`: too few customers with a repeat purchase to fit at all.
 */
import { bgObjective, type BgParams } from './bg-kernel';
import { gammaGammaObjective, sumLogX, type GammaGammaParams } from './gamma-gamma';
import { lbfgs, minimizeMultiStart, type LbfgsOptions, type MinimizeResult, type ObjectiveWithGradient } from './optimize';
import { nbdObjective } from './nbd';
import { paretoObjective, type ParetoNbdParams } from './pareto-nbd';
import { compressRfm, compressSpend, thinRfm, thinSpend, type CompressedRfm, type CompressedSpend } from './rfm';

export type Degeneracy = 'insufficient-data' | 'not-converged' | 'dropout-collapsed' | 'spend-mean-infinite' | 'spend-variance-collapsed';

export type FitStatus =
  | { ok: true; warnings: string[] }
  | { ok: false; degenerate: Degeneracy; message: string; warnings: string[] };

export interface FitDiagnostics {
  method: MinimizeResult['method'];
  reason: string;
  iterations: number;
  evaluations: number;
  /** ‖∇f‖∞ of the per-customer mean negative log-likelihood in log-parameter space. */
  gradNorm: number;
  starts: number;
  convergedStarts: number;
  /** Largest minus smallest log-likelihood among the converged starts (0 = all agree). */
  logLikelihoodSpread: number;
  /** Distinct data rows the likelihood was evaluated on. */
  rows: number;
  /** When starts were screened on a subsample: its size in customers. */
  screenedOn?: number;
  /**
   * Transaction models: log-likelihood of the nested no-dropout NBD model on the same data. The
   * gain LL − this is the evidence that customers drop out at all.
   */
  nbdLogLikelihood?: number;
  fitMs: number;
}

interface FitBase {
  logLikelihood: number;
  /** Customers the model was fitted on. */
  customers: number;
  status: FitStatus;
  diagnostics: FitDiagnostics;
}

export interface BgNbdFit extends FitBase {
  model: 'bgnbd';
  params: BgParams;
}
export interface MbgNbdFit extends FitBase {
  model: 'mbgnbd';
  params: BgParams;
}
export interface ParetoNbdFit extends FitBase {
  model: 'paretoNbd';
  params: ParetoNbdParams;
}
export interface GammaGammaFit extends FitBase {
  model: 'gammaGamma';
  params: GammaGammaParams;
  /** Log-likelihood of the total repeat spend x·m_x (the form FHL 2005 JMR report): LL − Σ ln x. */
  logLikelihoodTotalSpend: number;
}

export interface FitOptions {
  /** Starting points in natural parameters; default: three data-scaled starts per model. */
  starts?: number[][];
  /** Fewer customers with x > 0 than this gives `insufficient-data`. Default 10. */
  minRepeatCustomers?: number;
  optimizer?: LbfgsOptions;
  /**
   * Above this many customers the starting points are screened on a random subsample of
   * `screenSize` customers and only the best is refined on all the data. Default 50,000.
   */
  screenAbove?: number;
  /** Subsample size for screening. Default 20,000. */
  screenSize?: number;
}

/** Thresholds for the degeneracy checks (exported so callers can show them). */
export const DEGENERACY = {
  /** E[p] = a/(a+b) below this: the BG dropout process has collapsed. */
  minMeanDropout: 1e-4,
  /** a below this: the Beta mixing distribution has all its mass at p = 0. */
  minA: 1e-4,
  /** b above this: the same collapse approached along b → ∞. */
  maxB: 1e6,
  /** Pareto/NBD: s below this, or expected dropouts s/β · max T below this. */
  minParetoS: 1e-4,
  minParetoDropoutsInWindow: 1e-4,
  /** Gamma-Gamma p above this: no variation within customers. */
  maxSpendShape: 1e6,
  /**
   * The dropout process must improve the log-likelihood over the no-dropout NBD by at least this
   * much: 2·ΔLL ≥ 2.71 is the 5% likelihood-ratio test for one parameter on the boundary of its
   * space (critical value of ½χ²₀ + ½χ²₁; Self & Liang 1987).
   */
  minDropoutGain: 1.355,
  /** Two starts whose log-likelihoods differ by more than this are reported as a warning. */
  spreadWarning: 0.01,
} as const;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Multi-start L-BFGS. With `screen` (a random subsample of a large data set), the starts are run
 * on the subsample and only the best is refined on all the data, which costs a few evaluations
 * instead of starts × a few dozen. If that refinement fails, all starts run on the full data.
 */
function runMultiStart(
  fg: ObjectiveWithGradient,
  starts: number[][],
  customers: number,
  options: FitOptions,
  screen?: { fg: ObjectiveWithGradient; customers: number },
) {
  const thetaStarts = starts.map((s) => s.map(Math.log));
  const summarize = (runs: MinimizeResult[], n: number) => {
    const converged = runs.filter((r) => r.converged && Number.isFinite(r.f));
    let spread = 0;
    if (converged.length > 1) {
      const lls = converged.map((r) => -r.f * n);
      spread = Math.max(...lls) - Math.min(...lls);
    }
    return { convergedStarts: converged.length, spread };
  };
  if (screen) {
    const screened = minimizeMultiStart(screen.fg, thetaStarts, options.optimizer);
    if (Number.isFinite(screened.f)) {
      const refined = lbfgs(fg, screened.x, options.optimizer);
      if (refined.converged) {
        const res: MinimizeResult = { ...refined, evaluations: refined.evaluations, reason: `${refined.reason} (starts screened on ${screen.customers} customers)` };
        return { res, ...summarize(screened.runs, screen.customers), screenedOn: screen.customers };
      }
    }
  }
  const res = minimizeMultiStart(fg, thetaStarts, options.optimizer);
  return { res, ...summarize(res.runs, customers), screenedOn: undefined as number | undefined };
}

function diagnosticsOf(
  res: MinimizeResult,
  starts: number,
  convergedStarts: number,
  spread: number,
  rows: number,
  t0: number,
  screenedOn?: number,
): FitDiagnostics {
  return {
    ...(screenedOn === undefined ? {} : { screenedOn }),
    method: res.method,
    reason: res.reason,
    iterations: res.iterations,
    evaluations: res.evaluations,
    gradNorm: res.gradNorm,
    starts,
    convergedStarts,
    logLikelihoodSpread: spread,
    rows,
    fitMs: now() - t0,
  };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(4) : String(v);
}

function emptyDiagnostics(rows: number): FitDiagnostics {
  return { method: 'lbfgs', reason: 'not run', iterations: 0, evaluations: 0, gradNorm: NaN, starts: 0, convergedStarts: 0, logLikelihoodSpread: 0, rows, fitMs: 0 };
}

/** Maximum log-likelihood of the nested NBD (no dropout) model, or NaN if it cannot be fitted. */
function nbdLogLikelihood(d: CompressedRfm): number {
  const { rate } = rateScale(d);
  const res = minimizeMultiStart(nbdObjective(d), [
    [0, Math.log(1 / rate)],
    [Math.log(0.3), Math.log(0.3 / rate)],
  ]);
  return Number.isFinite(res.f) ? -res.f * d.customers : NaN;
}

function noDropoutEvidence(model: string, gain: number): string {
  return (
    `${model} finds no evidence that customers drop out: it improves the log-likelihood over a no-dropout NBD model by only ${gain.toFixed(3)} ` +
    `(a 5% likelihood-ratio test needs ${DEGENERACY.minDropoutGain}), so P(alive) cannot rank dormant customers`
  );
}

function screenRfm(d: CompressedRfm, options: FitOptions): CompressedRfm | undefined {
  return d.customers > (options.screenAbove ?? 50_000) ? thinRfm(d, options.screenSize ?? 20_000) : undefined;
}

function repeatCustomers(d: CompressedRfm): number {
  let n = 0;
  for (let i = 0; i < d.rows; i++) if (d.x[i]! > 0) n += d.weight[i]!;
  return n;
}

/** Mean repeat rate Σx/ΣT, to scale the starting points to the data's time unit. */
function rateScale(d: CompressedRfm): { rate: number; meanT: number; maxT: number } {
  let sx = 0;
  let sT = 0;
  for (let i = 0; i < d.rows; i++) {
    sx += d.weight[i]! * d.x[i]!;
    sT += d.weight[i]! * d.T[i]!;
  }
  const meanT = sT / Math.max(1, d.customers);
  const rate = sx > 0 && sT > 0 ? sx / sT : 1;
  const maxT = d.TValues.length > 0 ? d.TValues[d.TValues.length - 1]! : 1;
  return { rate, meanT: Math.max(meanT, 1e-9), maxT: Math.max(maxT, 1e-9) };
}

function spreadWarnings(spread: number, convergedStarts: number, starts: number): string[] {
  const w: string[] = [];
  if (spread > DEGENERACY.spreadWarning) {
    w.push(`starting points reached different optima (log-likelihoods differ by ${spread.toFixed(3)}); the best was kept`);
  }
  if (convergedStarts < starts) w.push(`${starts - convergedStarts} of ${starts} starting points did not converge`);
  return w;
}

function fitBgFamily(data: CompressedRfm, variant: 'bgnbd' | 'mbgnbd', options: FitOptions): BgNbdFit | MbgNbdFit {
  const t0 = now();
  const minRepeat = options.minRepeatCustomers ?? 10;
  const repeaters = repeatCustomers(data);
  const nan: BgParams = { r: NaN, alpha: NaN, a: NaN, b: NaN };
  const name = variant === 'bgnbd' ? 'BG/NBD' : 'MBG/NBD';
  if (repeaters < minRepeat) {
    return {
      model: variant,
      params: nan,
      logLikelihood: NaN,
      customers: data.customers,
      status: { ok: false, degenerate: 'insufficient-data', message: `${name} needs at least ${minRepeat} customers with a repeat purchase; found ${repeaters}`, warnings: [] },
      diagnostics: emptyDiagnostics(data.rows),
    } as BgNbdFit | MbgNbdFit;
  }
  const { rate } = rateScale(data);
  const starts = options.starts ?? [
    [0.5, 0.5 / rate, 1, 3],
    [1, 1 / rate, 0.5, 0.5],
    [2, 2 / rate, 2, 10],
  ];
  const fg = bgObjective(data, variant);
  const screenData = screenRfm(data, options);
  const screen = screenData ? { fg: bgObjective(screenData, variant), customers: screenData.customers } : undefined;
  const { res, convergedStarts, spread, screenedOn } = runMultiStart(fg, starts, data.customers, options, screen);
  const [r, alpha, a, b] = Array.from(res.x, Math.exp) as [number, number, number, number];
  const params: BgParams = { r, alpha, a, b };
  const logLikelihood = -res.f * data.customers;
  const warnings = spreadWarnings(spread, convergedStarts, starts.length);
  if (r > 1e4 && alpha > 1e4) warnings.push(`purchase-rate heterogeneity vanished (r=${fmt(r)}, α=${fmt(alpha)}): all customers share one rate r/α=${fmt(r / alpha)}`);
  const meanDropout = a / (a + b);
  const nbdLL = nbdLogLikelihood(data);
  let status: FitStatus;
  // Degeneracy first: a likelihood that increases along a ray (parameters running to 0 or ∞)
  // also stops the optimiser short of "converged", and the degeneracy is the better explanation.
  if (Number.isFinite(logLikelihood) && (meanDropout < DEGENERACY.minMeanDropout || a < DEGENERACY.minA || b > DEGENERACY.maxB)) {
    status = {
      ok: false,
      degenerate: 'dropout-collapsed',
      message:
        `${name} dropout process collapsed (a=${fmt(a)}, b=${fmt(b)}, mean dropout probability a/(a+b)=${fmt(meanDropout)}): ` +
        'the data show no sign of customers leaving, so the model reduces to an NBD where P(alive) ≈ 1 for everyone and cannot rank dormant customers',
      warnings,
    };
  } else if (!Number.isFinite(logLikelihood) || convergedStarts === 0) {
    status = { ok: false, degenerate: 'not-converged', message: `${name} fit did not converge (${res.reason}; ‖∇‖=${fmt(res.gradNorm)})`, warnings };
  } else if (logLikelihood - nbdLL < DEGENERACY.minDropoutGain) {
    status = { ok: false, degenerate: 'dropout-collapsed', message: noDropoutEvidence(name, logLikelihood - nbdLL), warnings };
  } else {
    status = { ok: true, warnings };
  }
  return {
    model: variant,
    params,
    logLikelihood,
    customers: data.customers,
    status,
    diagnostics: { ...diagnosticsOf(res, starts.length, convergedStarts, spread, data.rows, t0, screenedOn), nbdLogLikelihood: nbdLL },
  } as BgNbdFit | MbgNbdFit;
}

/** Fits BG/NBD (Fader, Hardie & Lee 2005) by maximum likelihood. Never throws on bad fits. */
export function fitBgNbd(data: CompressedRfm, options: FitOptions = {}): BgNbdFit {
  return fitBgFamily(data, 'bgnbd', options) as BgNbdFit;
}

/** Fits MBG/NBD (Batislam, Denizel & Filiztekin 2007) by maximum likelihood. */
export function fitMbgNbd(data: CompressedRfm, options: FitOptions = {}): MbgNbdFit {
  return fitBgFamily(data, 'mbgnbd', options) as MbgNbdFit;
}

/** Fits Pareto/NBD (Schmittlein, Morrison & Colombo 1987) by maximum likelihood. */
export function fitParetoNbd(data: CompressedRfm, options: FitOptions = {}): ParetoNbdFit {
  const t0 = now();
  const minRepeat = options.minRepeatCustomers ?? 10;
  const repeaters = repeatCustomers(data);
  if (repeaters < minRepeat) {
    return {
      model: 'paretoNbd',
      params: { r: NaN, alpha: NaN, s: NaN, beta: NaN },
      logLikelihood: NaN,
      customers: data.customers,
      status: { ok: false, degenerate: 'insufficient-data', message: `Pareto/NBD needs at least ${minRepeat} customers with a repeat purchase; found ${repeaters}`, warnings: [] },
      diagnostics: emptyDiagnostics(data.rows),
    };
  }
  const { rate, meanT, maxT } = rateScale(data);
  const starts = options.starts ?? [
    [0.5, 0.5 / rate, 0.5, 0.5 * meanT],
    [1, 1 / rate, 1, meanT],
    [2, 2 / rate, 2, 4 * meanT],
  ];
  const fg = paretoObjective(data);
  const screenData = screenRfm(data, options);
  const screen = screenData ? { fg: paretoObjective(screenData), customers: screenData.customers } : undefined;
  const { res, convergedStarts, spread, screenedOn } = runMultiStart(fg, starts, data.customers, options, screen);
  const [r, alpha, s, beta] = Array.from(res.x, Math.exp) as [number, number, number, number];
  const logLikelihood = -res.f * data.customers;
  const warnings = spreadWarnings(spread, convergedStarts, starts.length);
  const nbdLL = nbdLogLikelihood(data);
  let status: FitStatus;
  if (Number.isFinite(logLikelihood) && (s < DEGENERACY.minParetoS || (s / beta) * maxT < DEGENERACY.minParetoDropoutsInWindow)) {
    status = {
      ok: false,
      degenerate: 'dropout-collapsed',
      message: `Pareto/NBD dropout process collapsed (s=${fmt(s)}, β=${fmt(beta)}, mean dropout rate s/β=${fmt(s / beta)} per period): P(alive) ≈ 1 for everyone`,
      warnings,
    };
  } else if (!Number.isFinite(logLikelihood) || convergedStarts === 0) {
    status = { ok: false, degenerate: 'not-converged', message: `Pareto/NBD fit did not converge (${res.reason}; ‖∇‖=${fmt(res.gradNorm)})`, warnings };
  } else if (logLikelihood - nbdLL < DEGENERACY.minDropoutGain) {
    status = { ok: false, degenerate: 'dropout-collapsed', message: noDropoutEvidence('Pareto/NBD', logLikelihood - nbdLL), warnings };
  } else {
    status = { ok: true, warnings };
  }
  return {
    model: 'paretoNbd',
    params: { r, alpha, s, beta },
    logLikelihood,
    customers: data.customers,
    status,
    diagnostics: { ...diagnosticsOf(res, starts.length, convergedStarts, spread, data.rows, t0, screenedOn), nbdLogLikelihood: nbdLL },
  };
}

/** Fits the Gamma-Gamma spend model on customers with x > 0. */
export function fitGammaGamma(data: CompressedSpend, options: FitOptions = {}): GammaGammaFit {
  const t0 = now();
  const minRepeat = options.minRepeatCustomers ?? 10;
  if (data.customers < minRepeat) {
    return {
      model: 'gammaGamma',
      params: { p: NaN, q: NaN, gamma: NaN },
      logLikelihood: NaN,
      logLikelihoodTotalSpend: NaN,
      customers: data.customers,
      status: { ok: false, degenerate: 'insufficient-data', message: `Gamma-Gamma needs at least ${minRepeat} customers with a repeat purchase; found ${data.customers}`, warnings: [] },
      diagnostics: emptyDiagnostics(data.customers),
    };
  }
  // Scale γ so the starts' population mean pγ/(q−1) equals the observed mean of m_x.
  let sumM = 0;
  for (let g = 0; g < data.xValues.length; g++) {
    for (let i = data.groupStart[g]!; i < data.groupStart[g + 1]!; i++) sumM += data.totalSpend[i]! / data.xValues[g]!;
  }
  const meanM = sumM / data.customers;
  const starts = options.starts ?? [
    [2, 3, meanM],
    [5, 5, (meanM * 4) / 5],
    [1, 2, meanM],
  ];
  const fg = gammaGammaObjective(data);
  const screenAbove = options.screenAbove ?? 50_000;
  const screenData = data.customers > screenAbove ? thinSpend(data, options.screenSize ?? 20_000) : undefined;
  const screen = screenData ? { fg: gammaGammaObjective(screenData), customers: screenData.customers } : undefined;
  const { res, convergedStarts, spread, screenedOn } = runMultiStart(fg, starts, data.customers, options, screen);
  const [p, q, gamma] = Array.from(res.x, Math.exp) as [number, number, number];
  const logLikelihood = -res.f * data.customers;
  const warnings = spreadWarnings(spread, convergedStarts, starts.length);
  let status: FitStatus;
  if (Number.isFinite(logLikelihood) && p > DEGENERACY.maxSpendShape) {
    status = { ok: false, degenerate: 'spend-variance-collapsed', message: `Gamma-Gamma p=${fmt(p)} → ∞: each customer's transactions have (nearly) the same value, so the model adds nothing to m_x`, warnings };
  } else if (!Number.isFinite(logLikelihood) || convergedStarts === 0) {
    status = { ok: false, degenerate: 'not-converged', message: `Gamma-Gamma fit did not converge (${res.reason}; ‖∇‖=${fmt(res.gradNorm)})`, warnings };
  } else if (q <= 1) {
    status = { ok: false, degenerate: 'spend-mean-infinite', message: `Gamma-Gamma q=${fmt(q)} ≤ 1: the population mean spend pγ/(q−1) is infinite, so expected spend is undefined`, warnings };
  } else {
    status = { ok: true, warnings };
  }
  return {
    model: 'gammaGamma',
    params: { p, q, gamma },
    logLikelihood,
    logLikelihoodTotalSpend: logLikelihood - sumLogX(data),
    customers: data.customers,
    status,
    diagnostics: diagnosticsOf(res, starts.length, convergedStarts, spread, data.customers, t0, screenedOn),
  };
}

export type ModelName = 'bgnbd' | 'mbgnbd' | 'paretoNbd' | 'gammaGamma';

export interface FittedModels {
  customers: number;
  repeatCustomers: number;
  bgnbd?: BgNbdFit;
  mbgnbd?: MbgNbdFit;
  paretoNbd?: ParetoNbdFit;
  gammaGamma?: GammaGammaFit;
  /** Time spent compressing the data, in ms. */
  compressMs: number;
  /** Total wall time for compression and all fits, in ms. */
  totalMs: number;
}

export interface FitAllOptions extends FitOptions {
  /** Models to fit. Default all four. */
  models?: ModelName[];
}

/**
 * Compresses the per-customer statistics and fits each requested model. Times (t_x, T) must be
 * in one unit (the fitted parameters are then in that unit). Throws RangeError only for invalid
 * input (negative or non-integer x, t_x > T, ...); poor fits come back as statuses.
 */
export function fitAll(
  summary: { x: ArrayLike<number>; tx: ArrayLike<number>; T: ArrayLike<number>; mx?: ArrayLike<number> },
  options: FitAllOptions = {},
): FittedModels {
  const t0 = now();
  const models = options.models ?? ['bgnbd', 'mbgnbd', 'paretoNbd', 'gammaGamma'];
  const rfm = compressRfm(summary.x, summary.tx, summary.T);
  const spend = summary.mx && models.includes('gammaGamma') ? compressSpend(summary.x, summary.mx) : undefined;
  const compressMs = now() - t0;
  const out: FittedModels = { customers: rfm.customers, repeatCustomers: repeatCustomers(rfm), compressMs, totalMs: 0 };
  const { starts: _ignored, ...perModel } = options;
  void _ignored;
  if (models.includes('bgnbd')) out.bgnbd = fitBgNbd(rfm, perModel);
  if (models.includes('mbgnbd')) out.mbgnbd = fitMbgNbd(rfm, perModel);
  if (models.includes('paretoNbd')) out.paretoNbd = fitParetoNbd(rfm, perModel);
  if (spend) out.gammaGamma = fitGammaGamma(spend, perModel);
  out.totalMs = now() - t0;
  return out;
}
