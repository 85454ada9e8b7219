/**
 * Unconstrained minimisers for the model fits, which work in log-parameter space so every
 * parameter stays positive without bounds.
 *
 * - `lbfgs`: limited-memory BFGS with a strong-Wolfe line search (Nocedal & Wright, Numerical
 *   Optimization, 2nd ed., Algorithms 7.4, 3.5 and 3.6), for objectives with analytic gradients.
 * - `nelderMead`: the derivative-free simplex method (Lagarias et al. 1998 conventions), used as
 *   a fallback when L-BFGS cannot make progress (e.g. a gradient that is not finite somewhere).
 * - `minimizeMultiStart`: runs L-BFGS from several starting points, falls back to Nelder–Mead
 *   for starts that fail, and returns the best.
 *
 * A non-finite objective value is treated as "outside the domain": the line search shrinks the
 * step, Nelder–Mead shrinks towards its best vertex.
 */

/** Objective and gradient: returns f(x) and writes ∇f(x) into `grad`. */
export type ObjectiveWithGradient = (x: Float64Array, grad: Float64Array) => number;
/** Objective without gradient. */
export type Objective = (x: Float64Array) => number;

export interface MinimizeResult {
  x: Float64Array;
  f: number;
  /** ‖∇f‖∞ at x (NaN when the method does not use gradients). */
  gradNorm: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  method: 'lbfgs' | 'nelder-mead';
  reason: string;
}

export interface LbfgsOptions {
  /** Stop when ‖∇f‖∞ ≤ gradTol. Default 1e-9 (objectives here are per-customer averages). */
  gradTol?: number;
  /** Stop when the relative decrease of f over an iteration is below this. Default 1e-15. */
  fTol?: number;
  maxIterations?: number;
  /** Number of correction pairs kept. Default 8. */
  memory?: number;
  /** Largest step in any coordinate on the first iteration (log-parameter units). Default 1. */
  maxFirstStep?: number;
  /**
   * When the line search can no longer decrease f (it is at the limit of floating-point
   * resolution), the run still counts as converged if ‖∇f‖∞ ≤ acceptTol. Default 1e-6.
   */
  acceptTol?: number;
}

function infNorm(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    const a = Math.abs(v[i]!);
    if (a > m || Number.isNaN(a)) m = a;
  }
  return m;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Minimiser of the cubic interpolating f and f' at two points (N&W eq. 3.59), safeguarded. */
function cubicMin(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b);
  const disc = d1 * d1 - ga * gb;
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (disc >= 0 && Number.isFinite(disc)) {
    const d2 = Math.sign(b - a) * Math.sqrt(disc);
    const t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
    // Keep the trial point well inside the bracket.
    const margin = 0.1 * (hi - lo);
    if (Number.isFinite(t) && t > lo + margin && t < hi - margin) return t;
  }
  return 0.5 * (a + b);
}

interface LineSearchOutcome {
  ok: boolean;
  alpha: number;
  f: number;
  evaluations: number;
}

/**
 * Strong-Wolfe line search along direction d from x (N&W Algorithms 3.5 and 3.6). On return with
 * ok = true, xNew and gNew hold the accepted point and its gradient.
 */
function strongWolfe(
  fg: ObjectiveWithGradient,
  x: Float64Array,
  f0: number,
  g0: Float64Array,
  d: Float64Array,
  alpha0: number,
  xNew: Float64Array,
  gNew: Float64Array,
): LineSearchOutcome {
  const c1 = 1e-4;
  const c2 = 0.9;
  const dg0 = dot(g0, d);
  let evaluations = 0;
  const evalAt = (alpha: number): { f: number; dg: number } => {
    for (let i = 0; i < x.length; i++) xNew[i] = x[i]! + alpha * d[i]!;
    const f = fg(xNew, gNew);
    evaluations++;
    const dg = dot(gNew, d);
    return { f: Number.isFinite(f) && Number.isFinite(dg) ? f : Infinity, dg };
  };

  const zoom = (
    lo: number,
    flo: number,
    glo: number,
    hi: number,
    fhi: number,
    ghi: number,
  ): LineSearchOutcome => {
    for (let iter = 0; iter < 25; iter++) {
      const alpha = Number.isFinite(fhi)
        ? cubicMin(lo, flo, glo, hi, fhi, ghi)
        : lo + 0.5 * (hi - lo);
      const { f, dg } = evalAt(alpha);
      if (f > f0 + c1 * alpha * dg0 || f >= flo) {
        hi = alpha;
        fhi = f;
        ghi = dg;
      } else {
        if (Math.abs(dg) <= -c2 * dg0) return { ok: true, alpha, f, evaluations };
        if (dg * (hi - lo) >= 0) {
          hi = lo;
          fhi = flo;
          ghi = glo;
        }
        lo = alpha;
        flo = f;
        glo = dg;
      }
      if (Math.abs(hi - lo) < 1e-16 * Math.max(1, Math.abs(lo))) break;
    }
    // Could not satisfy the curvature condition; accept the best point if it decreased f.
    if (lo > 0 && flo < f0) {
      const r = evalAt(lo);
      return { ok: true, alpha: lo, f: r.f, evaluations };
    }
    return { ok: false, alpha: 0, f: f0, evaluations };
  };

  let prevAlpha = 0;
  let prevF = f0;
  let prevDg = dg0;
  let alpha = alpha0;
  for (let iter = 0; iter < 40; iter++) {
    const { f, dg } = evalAt(alpha);
    if (!Number.isFinite(f)) {
      // Outside the domain or overflow: shrink towards the last good point.
      alpha = prevAlpha + 0.25 * (alpha - prevAlpha);
      if (alpha - prevAlpha < 1e-20) break;
      continue;
    }
    if (f > f0 + c1 * alpha * dg0 || (iter > 0 && f >= prevF)) {
      return zoom(prevAlpha, prevF, prevDg, alpha, f, dg);
    }
    if (Math.abs(dg) <= -c2 * dg0) return { ok: true, alpha, f, evaluations };
    if (dg >= 0) return zoom(alpha, f, dg, prevAlpha, prevF, prevDg);
    prevAlpha = alpha;
    prevF = f;
    prevDg = dg;
    alpha *= 2.5;
  }
  return { ok: false, alpha: 0, f: f0, evaluations };
}

/** L-BFGS (N&W Algorithm 7.4 two-loop recursion) with a strong-Wolfe line search. */
export function lbfgs(fg: ObjectiveWithGradient, x0: ArrayLike<number>, options: LbfgsOptions = {}): MinimizeResult {
  const gradTol = options.gradTol ?? 1e-9;
  const fTol = options.fTol ?? 1e-15;
  const maxIterations = options.maxIterations ?? 500;
  const m = options.memory ?? 8;
  const maxFirstStep = options.maxFirstStep ?? 1;
  const acceptTol = Math.max(options.acceptTol ?? 1e-6, gradTol);
  const n = x0.length;

  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  if (!Number.isFinite(f) || !Number.isFinite(infNorm(g))) {
    return { x, f, gradNorm: NaN, iterations: 0, evaluations, converged: false, method: 'lbfgs', reason: 'non-finite objective or gradient at the start' };
  }
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alphaBuf = new Float64Array(m);
  const d = new Float64Array(n);
  let xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  let smallDecreases = 0;

  for (let iter = 0; iter < maxIterations; iter++) {
    const gn = infNorm(g);
    if (gn <= gradTol) {
      return { x, f, gradNorm: gn, iterations: iter, evaluations, converged: true, method: 'lbfgs', reason: 'gradient below tolerance' };
    }
    // Two-loop recursion: d = −H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      const a = rho[j]! * dot(S[j]!, d);
      alphaBuf[j] = a;
      const yj = Y[j]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! - a * yj[i]!;
    }
    if (k > 0) {
      const gamma = dot(S[k - 1]!, Y[k - 1]!) / dot(Y[k - 1]!, Y[k - 1]!);
      for (let i = 0; i < n; i++) d[i] = d[i]! * gamma;
    }
    for (let j = 0; j < k; j++) {
      const b = rho[j]! * dot(Y[j]!, d);
      const sj = S[j]!;
      const a = alphaBuf[j]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! + (a - b) * sj[i]!;
    }
    let dg = dot(d, g);
    if (!(dg < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = 0;
      Y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      dg = dot(d, g);
    }
    // Converged at floating-point resolution: even the full quasi-Newton step would decrease f
    // by less than f's own rounding error, so no line search can make progress.
    if (gn <= acceptTol && -dg <= 1e-14 * Math.max(1, Math.abs(f))) {
      return { x, f, gradNorm: gn, iterations: iter, evaluations, converged: true, method: 'lbfgs', reason: 'predicted decrease below floating-point resolution' };
    }
    let alpha0 = 1;
    if (k === 0) {
      const dn = infNorm(d);
      if (dn > maxFirstStep) alpha0 = maxFirstStep / dn;
    }
    const ls = strongWolfe(fg, x, f, g, d, alpha0, xNew, gNew);
    evaluations += ls.evaluations;
    if (!ls.ok) {
      if (S.length > 0 && gn > acceptTol) {
        // Drop the curvature memory and retry once from steepest descent next iteration.
        S.length = 0;
        Y.length = 0;
        rho.length = 0;
        continue;
      }
      return { x, f, gradNorm: gn, iterations: iter, evaluations, converged: gn <= acceptTol, method: 'lbfgs', reason: gn <= acceptTol ? 'no further decrease possible (at floating-point resolution)' : 'line search failed' };
    }
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-300) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const fOld = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = ls.f;
    if (Math.abs(fOld - f) <= fTol * Math.max(1, Math.abs(f))) {
      smallDecreases++;
      if (smallDecreases >= 3) {
        const gnNow = infNorm(g);
        return { x, f, gradNorm: gnNow, iterations: iter + 1, evaluations, converged: gnNow <= acceptTol, method: 'lbfgs', reason: 'objective stopped decreasing' };
      }
    } else {
      smallDecreases = 0;
    }
  }
  const gn = infNorm(g);
  return { x, f, gradNorm: gn, iterations: maxIterations, evaluations, converged: gn <= gradTol, method: 'lbfgs', reason: 'iteration limit' };
}

export interface NelderMeadOptions {
  maxEvaluations?: number;
  /** Stop when the simplex's f-values and vertices are this close (absolute). Default 1e-12. */
  tol?: number;
  /** Initial simplex step in each coordinate. Default 0.5. */
  step?: number;
}

/** Nelder–Mead simplex minimiser (adaptive coefficients of Gao & Han 2012 for n > 2). */
export function nelderMead(f: Objective, x0: ArrayLike<number>, options: NelderMeadOptions = {}): MinimizeResult {
  const n = x0.length;
  const maxEvaluations = options.maxEvaluations ?? 500 * n;
  const tol = options.tol ?? 1e-12;
  const step = options.step ?? 0.5;
  const alpha = 1;
  const beta = 1 + 2 / n;
  const gamma = 0.75 - 1 / (2 * n);
  const delta = 1 - 1 / n;
  let evaluations = 0;
  const F = (x: Float64Array): number => {
    evaluations++;
    const v = f(x);
    return Number.isFinite(v) ? v : Infinity;
  };
  const simplex: Float64Array[] = [];
  const values: number[] = [];
  const base = Float64Array.from(x0);
  simplex.push(base);
  values.push(F(base));
  for (let i = 0; i < n; i++) {
    const v = Float64Array.from(x0);
    v[i] = v[i]! + step;
    simplex.push(v);
    values.push(F(v));
  }
  const order = (): void => {
    const idx = simplex.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
    const s2 = idx.map((i) => simplex[i]!);
    const v2 = idx.map((i) => values[i]!);
    for (let i = 0; i <= n; i++) {
      simplex[i] = s2[i]!;
      values[i] = v2[i]!;
    }
  };
  const centroid = new Float64Array(n);
  const trial = (coef: number): Float64Array => {
    const worst = simplex[n]!;
    const p = new Float64Array(n);
    for (let i = 0; i < n; i++) p[i] = centroid[i]! + coef * (centroid[i]! - worst[i]!);
    return p;
  };
  let iterations = 0;
  let reason = 'evaluation limit';
  let converged = false;
  while (evaluations < maxEvaluations) {
    iterations++;
    order();
    let spread = Math.abs(values[n]! - values[0]!);
    let size = 0;
    for (let j = 1; j <= n; j++) for (let i = 0; i < n; i++) size = Math.max(size, Math.abs(simplex[j]![i]! - simplex[0]![i]!));
    if (!Number.isFinite(spread)) spread = Infinity;
    if (spread <= tol * Math.max(1, Math.abs(values[0]!)) && size <= 1e-9) {
      converged = true;
      reason = 'simplex converged';
      break;
    }
    centroid.fill(0);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) centroid[i] = centroid[i]! + simplex[j]![i]! / n;
    const xr = trial(alpha);
    const fr = F(xr);
    if (fr < values[0]!) {
      const xe = trial(alpha * beta);
      const fe = F(xe);
      if (fe < fr) {
        simplex[n] = xe;
        values[n] = fe;
      } else {
        simplex[n] = xr;
        values[n] = fr;
      }
      continue;
    }
    if (fr < values[n - 1]!) {
      simplex[n] = xr;
      values[n] = fr;
      continue;
    }
    const outside = fr < values[n]!;
    const xc = trial(outside ? alpha * gamma : -gamma);
    const fc = F(xc);
    if (fc < (outside ? fr : values[n]!)) {
      simplex[n] = xc;
      values[n] = fc;
      continue;
    }
    // Shrink towards the best vertex.
    for (let j = 1; j <= n; j++) {
      const v = simplex[j]!;
      for (let i = 0; i < n; i++) v[i] = simplex[0]![i]! + delta * (v[i]! - simplex[0]![i]!);
      values[j] = F(v);
    }
  }
  order();
  return { x: simplex[0]!, f: values[0]!, gradNorm: NaN, iterations, evaluations, converged, method: 'nelder-mead', reason };
}

export interface MultiStartOptions extends LbfgsOptions {
  /** A non-converged L-BFGS run with ‖∇f‖∞ above this is retried with Nelder–Mead. Default 1e-4. */
  fallbackGradTol?: number;
  /** Polish a Nelder–Mead fallback result with L-BFGS when possible. Default true. */
  polish?: boolean;
}

export interface MultiStartResult extends MinimizeResult {
  /** Every run, in the order of the starts (useful to see whether the optimum is unique). */
  runs: MinimizeResult[];
}

/**
 * L-BFGS from each start, keeping the best run. Only if no start converged is Nelder–Mead run,
 * from the best point found (then polished by L-BFGS). A run that stopped near a stationary
 * point with f at its rounding noise (‖∇f‖∞ ≤ fallbackGradTol) counts as converged for this.
 */
export function minimizeMultiStart(
  fg: ObjectiveWithGradient,
  starts: ArrayLike<number>[],
  options: MultiStartOptions = {},
): MultiStartResult {
  if (starts.length === 0) throw new RangeError('minimizeMultiStart needs at least one start');
  const runs: MinimizeResult[] = [];
  let best: MinimizeResult | undefined;
  const better = (r: MinimizeResult, b: MinimizeResult | undefined): boolean =>
    !b || (Number.isFinite(r.f) && (!Number.isFinite(b.f) || r.f < b.f));
  for (const start of starts) {
    const r = lbfgs(fg, start, options);
    runs.push(r);
    if (better(r, best)) best = r;
  }
  const nearStationary = (r: MinimizeResult): boolean => Number.isFinite(r.f) && (r.converged || r.gradNorm <= (options.fallbackGradTol ?? 1e-4));
  if (!runs.some(nearStationary)) {
    const scratch = new Float64Array(starts[0]!.length);
    const fOnly: Objective = (x) => fg(x, scratch);
    const from = best && Number.isFinite(best.f) ? best.x : starts[0]!;
    const nm = nelderMead(fOnly, from);
    let candidate: MinimizeResult = nm;
    if ((options.polish ?? true) && Number.isFinite(nm.f)) {
      const polished = lbfgs(fg, nm.x, options);
      if (polished.f <= nm.f) candidate = { ...polished, method: 'nelder-mead', reason: `nelder-mead then lbfgs: ${polished.reason}` };
    }
    runs.push(candidate);
    if (better(candidate, best)) best = candidate;
  }
  return { ...best!, runs };
}

/**
 * Log-parameters beyond ±35 (parameters outside e^±35 ≈ 1.6e15 or 6e-16) are treated as outside
 * the domain by the model objectives: a degenerate fit whose likelihood keeps rising along a ray
 * then stops at the edge, where the degeneracy checks recognise it, instead of wandering on.
 */
export const MAX_ABS_LOG_PARAM = 35;

/** True when any log-parameter is beyond ±MAX_ABS_LOG_PARAM (or not finite). */
export function outsideLogDomain(theta: Float64Array): boolean {
  for (let i = 0; i < theta.length; i++) if (!(Math.abs(theta[i]!) <= MAX_ABS_LOG_PARAM)) return true;
  return false;
}
