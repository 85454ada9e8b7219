/**
 * Model-fitting benchmark.
 *
 * 1. CDNOW sample (2,357 customers, Fader & Hardie): fit time of each model, median of several
 *    runs after warm-up, with the fitted parameters next to the published ones.
 * 2. 1,000,000 simulated BG/NBD + Gamma-Gamma customers (CDNOW-like parameters, day-resolution
 *    times): simulation, compression and fit times, and parameter recovery (true vs fitted).
 *
 * Targets: BG/NBD on CDNOW under 20 ms; BG/NBD on 1,000,000 customers (compressed) under 1 s.
 * For orientation, the Python lifetimes library takes ~0.07 s on CDNOW and ~10 s for 1M here.
 *
 *   npx tsx -e "import('./bench/model.ts').then(m=>m.benchModel({json:false}))"
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compressRfm,
  compressSpend,
  epochDay,
  fitBgNbd,
  fitGammaGamma,
  fitMbgNbd,
  fitParetoNbd,
  parseCdnow,
  simulateCustomers,
  summarizeTransactions,
} from '../shared/models/index';

const here = dirname(fileURLToPath(import.meta.url));

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function timeRuns<T>(runs: number, warmup: number, f: () => T): { medianMs: number; minMs: number; result: T } {
  let result = f();
  for (let i = 1; i < warmup; i++) result = f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    result = f();
    times.push(performance.now() - t0);
  }
  return { medianMs: median(times), minMs: Math.min(...times), result };
}

const TRUE_BG = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const TRUE_GG = { p: 6.25, q: 3.74, gamma: 15.44 };

export interface ModelBenchResult {
  cdnow: {
    customers: number;
    rows: number;
    fits: { model: string; medianMs: number; minMs: number; params: Record<string, number>; logLikelihood: number; published: string }[];
  };
  simulated: {
    customers: number;
    simulateMs: number;
    compressMs: number;
    rows: number;
    bgnbdFitMs: number[];
    bgnbdFitMedianMs: number;
    spendCompressMs: number;
    gammaGammaFitMs: number;
    recovery: { param: string; true: number; fitted: number; relErr: number }[];
  };
}

export async function benchModel(opts: { json: boolean }): Promise<void> {
  // --- CDNOW --------------------------------------------------------------------------------
  const text = readFileSync(join(here, '..', 'tests', 'fixtures', 'cdnow', 'CDNOW_sample.txt'), 'utf8');
  const summary = summarizeTransactions(parseCdnow(text), { calibrationEndDay: epochDay(1997, 9, 30) });
  const rfm = compressRfm(summary.x, summary.tx, summary.T);
  const spend = compressSpend(summary.x, summary.mx);
  const runs = 21;
  const bg = timeRuns(runs, 5, () => fitBgNbd(rfm));
  const mbg = timeRuns(runs, 5, () => fitMbgNbd(rfm));
  const pnbd = timeRuns(9, 2, () => fitParetoNbd(rfm));
  const gg = timeRuns(runs, 5, () => fitGammaGamma(spend));
  const cdnow: ModelBenchResult['cdnow'] = {
    customers: rfm.customers,
    rows: rfm.rows,
    fits: [
      { model: 'BG/NBD', ...pick(bg), params: { ...bg.result.params }, logLikelihood: bg.result.logLikelihood, published: 'r 0.2426 α 4.4135 a 0.7929 b 2.4258, LL −9582.43' },
      { model: 'MBG/NBD', ...pick(mbg), params: { ...mbg.result.params }, logLikelihood: mbg.result.logLikelihood, published: 'r 0.525 α 6.183 a 0.891 b 1.614, LL −9582.14' },
      { model: 'Pareto/NBD', ...pick(pnbd), params: { ...pnbd.result.params }, logLikelihood: pnbd.result.logLikelihood, published: 'r 0.553 α 10.578 s 0.606 β 11.669, LL −9594.98' },
      { model: 'Gamma-Gamma', ...pick(gg), params: { ...gg.result.params }, logLikelihood: gg.result.logLikelihood, published: 'p 6.2488 q 3.7446 γ 15.4477' },
    ],
  };

  // --- 1,000,000 simulated customers ------------------------------------------------------------
  const n = 1_000_000;
  let t0 = performance.now();
  const sim = simulateCustomers({ customers: n, seed: 20240601, params: TRUE_BG, spend: TRUE_GG });
  const simulateMs = performance.now() - t0;
  t0 = performance.now();
  const big = compressRfm(sim.x, sim.tx, sim.T);
  const compressMs = performance.now() - t0;
  const bgTimes: number[] = [];
  let bigFit = fitBgNbd(big);
  bgTimes.push(bigFit.diagnostics.fitMs);
  for (let i = 0; i < 4; i++) {
    bigFit = fitBgNbd(big);
    bgTimes.push(bigFit.diagnostics.fitMs);
  }
  t0 = performance.now();
  const bigSpend = compressSpend(sim.x, sim.mx);
  const spendCompressMs = performance.now() - t0;
  const ggFit = fitGammaGamma(bigSpend);
  const recovery = [
    ...(['r', 'alpha', 'a', 'b'] as const).map((k) => ({ param: `BG/NBD ${k}`, true: TRUE_BG[k], fitted: bigFit.params[k], relErr: bigFit.params[k] / TRUE_BG[k] - 1 })),
    ...(['p', 'q', 'gamma'] as const).map((k) => ({ param: `Gamma-Gamma ${k}`, true: TRUE_GG[k], fitted: ggFit.params[k], relErr: ggFit.params[k] / TRUE_GG[k] - 1 })),
  ];
  const result: ModelBenchResult = {
    cdnow,
    simulated: {
      customers: n,
      simulateMs,
      compressMs,
      rows: big.rows,
      bgnbdFitMs: bgTimes,
      // The first run includes JIT warm-up of the 1M-row code paths; the median is over all five.
      bgnbdFitMedianMs: median(bgTimes),
      spendCompressMs,
      gammaGammaFitMs: ggFit.diagnostics.fitMs,
      recovery,
    },
  };

  if (opts.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`CDNOW sample: ${cdnow.customers} customers → ${cdnow.rows} distinct (x, t_x, T) rows`);
  out.push(`${'model'.padEnd(12)} ${'median ms'.padStart(10)} ${'min ms'.padStart(8)}  fitted (published)`);
  for (const f of cdnow.fits) {
    const ps = Object.entries(f.params).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ');
    out.push(`${f.model.padEnd(12)} ${f.medianMs.toFixed(2).padStart(10)} ${f.minMs.toFixed(2).padStart(8)}  ${ps}, LL ${f.logLikelihood.toFixed(2)}  (${f.published})`);
  }
  const s = result.simulated;
  out.push('');
  out.push(`Simulated: ${s.customers.toLocaleString('en')} BG/NBD + Gamma-Gamma customers (seed 20240601)`);
  out.push(`  simulate ${s.simulateMs.toFixed(0)} ms; compress (x, t_x, T) ${s.compressMs.toFixed(0)} ms → ${s.rows.toLocaleString('en')} rows; compress spend ${s.spendCompressMs.toFixed(0)} ms`);
  out.push(`  BG/NBD fit: median ${s.bgnbdFitMedianMs.toFixed(0)} ms (runs: ${s.bgnbdFitMs.map((v) => v.toFixed(0)).join(', ')} ms)`);
  out.push(`  Gamma-Gamma fit: ${s.gammaGammaFitMs.toFixed(0)} ms on ${bigSpend.customers.toLocaleString('en')} repeat customers`);
  out.push(`  ${'parameter'.padEnd(18)} ${'true'.padStart(8)} ${'fitted'.padStart(10)} ${'rel. err'.padStart(9)}`);
  for (const r of s.recovery) out.push(`  ${r.param.padEnd(18)} ${r.true.toFixed(3).padStart(8)} ${r.fitted.toFixed(4).padStart(10)} ${(100 * r.relErr).toFixed(2).padStart(8)}%`);
  process.stdout.write(`${out.join('\n')}\n`);
}

function pick(t: { medianMs: number; minMs: number }): { medianMs: number; minMs: number } {
  return { medianMs: t.medianMs, minMs: t.minMs };
}
