/**
 * A seeded simulator of BG/NBD customers with Gamma-Gamma spend, for benchmarks and to check
 * that the fits recover known parameters.
 *
 * The generative story is the models' own:
 * - BG/NBD (Fader, Hardie & Lee 2005, Marketing Science 24(2), §3): each customer has a purchase
 *   rate λ ~ Gamma(r, α) (rate α) and a dropout probability p ~ Beta(a, b). Starting from the
 *   first purchase at time 0, inter-purchase times are Exponential(λ); after each repeat purchase
 *   the customer drops out with probability p. (With `variant: 'mbgnbd'` the customer may also
 *   drop out at time 0, as in the MBG/NBD of Batislam et al. 2007.)
 * - Gamma-Gamma (Fader, Hardie & Lee 2005, JMR 42(4); Fader & Hardie 2013 note): each customer has
 *   ν ~ Gamma(q, γ) (rate γ) and each transaction's value is Gamma(p, ν); the mean of x values is
 *   then Gamma(p·x, x·ν), which we sample directly.
 *
 * Customers are acquired uniformly over `acquisitionDays` days before a calibration period that
 * ends `calibrationDays` after the first acquisition day. Times are reported in periods of
 * `periodDays` days, with t_x rounded to whole days, as real transaction logs are. Same-day
 * purchases are not merged (at realistic rates they are rare), so the counts follow the model.
 */

/** xoshiro128** (Blackman & Vigna 2018), seeded with splitmix32; uniform doubles with 53 bits. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let z = seed >>> 0;
    const next = (): number => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      return (t ^ (t >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on (0, 1), never exactly 0 or 1. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo + 0.5) / 9007199254740992;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spareNormal = v * m;
        return u * m;
      }
    }
  }

  /** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via Gamma(shape+1)·U^(1/shape). */
  gamma(shape: number): number {
    if (shape < 1) {
      const g = this.gamma(shape + 1);
      return g * Math.exp(Math.log(this.uniform()) / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b). */
  beta(a: number, b: number): number {
    const x = this.gamma(a);
    const y = this.gamma(b);
    return x + y > 0 ? x / (x + y) : this.uniform() < a / (a + b) ? 1 : 0;
  }

  /** Exponential with rate 1. */
  exponential(): number {
    return -Math.log(this.uniform());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export interface SimulationOptions {
  customers: number;
  seed: number;
  /** Purchase and dropout parameters (time unit: periods of `periodDays`). */
  params: { r: number; alpha: number; a: number; b: number };
  /** Gamma-Gamma spend parameters; omit for no spend (m_x = 0). */
  spend?: { p: number; q: number; gamma: number };
  /** Days over which customers are acquired. Default 84 (12 weeks, as CDNOW's Q1 cohort). */
  acquisitionDays?: number;
  /** Calibration end, in days after the first acquisition day. Default 273 (CDNOW: 39 weeks). */
  calibrationDays?: number;
  /** Holdout length in days after the calibration end, to count x*. Default 0 (none). */
  holdoutDays?: number;
  /** Days per period. Default 7. */
  periodDays?: number;
  /** 'bgnbd' (default) or 'mbgnbd' (may also drop out at time 0). */
  variant?: 'bgnbd' | 'mbgnbd';
}

/** Simulated customers, column-oriented; times in periods. */
export interface SimulatedCustomers {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  mx: Float64Array;
  xStar: Float64Array;
  /** Each customer's true purchase rate λ and dropout probability p, and whether alive at T. */
  lambda: Float64Array;
  dropout: Float64Array;
  aliveAtT: Uint8Array;
}

/** Simulates BG/NBD (or MBG/NBD) customers with Gamma-Gamma spend. Deterministic for a seed. */
export function simulateCustomers(options: SimulationOptions): SimulatedCustomers {
  const n = options.customers;
  const { r, alpha, a, b } = options.params;
  const acquisitionDays = options.acquisitionDays ?? 84;
  const calibrationDays = options.calibrationDays ?? 273;
  const holdoutDays = options.holdoutDays ?? 0;
  const periodDays = options.periodDays ?? 7;
  const mbg = options.variant === 'mbgnbd';
  const rng = new Rng(options.seed);
  const out: SimulatedCustomers = {
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    mx: new Float64Array(n),
    xStar: new Float64Array(n),
    lambda: new Float64Array(n),
    dropout: new Float64Array(n),
    aliveAtT: new Uint8Array(n),
  };
  for (let i = 0; i < n; i++) {
    const lambda = rng.gamma(r) / alpha;
    const p = rng.beta(a, b);
    const firstDay = Math.floor(rng.uniform() * acquisitionDays);
    const TDays = calibrationDays - firstDay;
    const T = TDays / periodDays;
    const end = (TDays + holdoutDays) / periodDays;
    let alive = !(mbg && rng.uniform() < p);
    let t = 0;
    let x = 0;
    let last = 0;
    let xStar = 0;
    while (alive && lambda > 0) {
      t += rng.exponential() / lambda;
      if (t > end) break;
      if (t <= T) {
        x++;
        last = t;
      } else {
        xStar++;
      }
      if (rng.uniform() < p) alive = false;
    }
    // A customer is alive at T if they had not dropped out by then: if they dropped out, it was
    // right after their last purchase, which is at or before T only if the process stopped there.
    out.aliveAtT[i] = alive || t > T ? 1 : 0;
    out.x[i] = x;
    out.tx[i] = x > 0 ? Math.min(Math.round(last * periodDays), TDays) / periodDays : 0;
    out.T[i] = T;
    out.xStar[i] = xStar;
    out.lambda[i] = lambda;
    out.dropout[i] = p;
    if (options.spend && x > 0) {
      const nu = rng.gamma(options.spend.q) / options.spend.gamma;
      out.mx[i] = rng.gamma(options.spend.p * x) / (x * nu);
    }
  }
  return out;
}
