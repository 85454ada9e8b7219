import { describe, expect, it } from 'vitest';
import {
  compressSpend,
  fitGammaGamma,
  gammaGammaDataLogLikelihood,
  gammaGammaExpectedAverageSpend,
  gammaGammaLogLikelihood,
  gammaGammaPopulationMean,
} from '../../../shared/models/index';
import { gammaGammaObjective } from '../../../shared/models/gamma-gamma';
import { cdnowSummary, numbers, publishedValues, referenceVectors, relErr } from './cdnow-fixture';

const summary = cdnowSummary();
const spend = compressSpend(summary.x, summary.mx);
const published = publishedValues();

describe('Gamma-Gamma fit on the CDNOW sample (Fader, Hardie & Lee 2005, JMR)', () => {
  it('uses the 946 customers with a repeat purchase', () => {
    // Prepare / Act / Assess
    expect(spend.customers).toBe(946);
  });

  it('reproduces p 6.2488, q 3.7446, γ 15.4477 to better than 1e-3 relative', () => {
    // Prepare / Act
    const fit = fitGammaGamma(spend);
    // Assess
    expect(fit.status.ok).toBe(true);
    expect(relErr(fit.params.p, 6.2488)).toBeLessThan(1e-3);
    expect(relErr(fit.params.q, 3.7446)).toBeLessThan(1e-3);
    expect(relErr(fit.params.gamma, 15.4477)).toBeLessThan(1e-3);
    const [p, q, g] = numbers(published.get('Gamma-Gamma|p q gamma'));
    expect(fit.params.p).toBeCloseTo(p!, 2);
    expect(fit.params.q).toBeCloseTo(q!, 2);
    expect(fit.params.gamma).toBeCloseTo(g!, 1);
  });

  it('reports both published log-likelihood forms: −4055.9 for average spend and −4659 for total spend', () => {
    // Prepare / Act
    const fit = fitGammaGamma(spend);
    // Assess
    expect(fit.logLikelihood).toBeCloseTo(-4055.9, 1);
    expect(Math.round(fit.logLikelihoodTotalSpend)).toBe(Number(published.get('Gamma-Gamma|LL 39-week (total-spend form)')));
  });

  it('finds a likelihood at least as high as at lifetimes’ estimates (fitted on m_x rounded to cents)', () => {
    // Prepare
    const ref = referenceVectors().params.gamma_gamma;
    // Act
    const fit = fitGammaGamma(spend);
    const atLifetimes = gammaGammaDataLogLikelihood(spend, { p: ref.p, q: ref.q, gamma: ref.v });
    // Assess
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(atLifetimes - 1e-9);
  });
});

describe('Gamma-Gamma likelihood', () => {
  it('gives the same total grouped by x as summed over customers', () => {
    // Prepare
    const g = { p: 6, q: 4, gamma: 15 };
    let perCustomer = 0;
    for (let i = 0; i < summary.x.length; i++) if (summary.x[i]! > 0) perCustomer += gammaGammaLogLikelihood(g, summary.x[i]!, summary.mx[i]!);
    // Act
    const grouped = gammaGammaDataLogLikelihood(spend, g);
    // Assess
    expect(Math.abs(grouped - perCustomer)).toBeLessThan(1e-8);
  });

  it('has an analytic gradient equal to central finite differences', () => {
    // Prepare
    const f = gammaGammaObjective(spend);
    const theta = Float64Array.of(Math.log(3), Math.log(5), Math.log(20));
    const g = new Float64Array(3);
    const scratch = new Float64Array(3);
    // Act
    f(theta, g);
    // Assess
    for (let k = 0; k < 3; k++) {
      const h = 1e-6;
      const up = Float64Array.from(theta);
      const down = Float64Array.from(theta);
      up[k] = up[k]! + h;
      down[k] = down[k]! - h;
      expect(Math.abs(g[k]! - (f(up, scratch) - f(down, scratch)) / (2 * h))).toBeLessThan(1e-7);
    }
  });
});

describe('Gamma-Gamma expected average spend', () => {
  it('matches lifetimes’ conditional expected average profit to 1e-6 relative', () => {
    // Prepare
    const ref = referenceVectors();
    const g = { p: ref.params.gamma_gamma.p, q: ref.params.gamma_gamma.q, gamma: ref.params.gamma_gamma.v };
    // Act / Assess
    for (let i = 0; i < ref.frequency.length; i++) {
      const v = gammaGammaExpectedAverageSpend(g, ref.frequency[i]!, ref.monetary_value[i]!);
      expect(relErr(v, ref.gamma_gamma.conditional_expected_average_profit[i]!)).toBeLessThan(1e-6);
    }
  });

  it('falls back to the population mean pγ/(q−1) for a customer with no repeat purchase', () => {
    // Prepare
    const g = { p: 6.25, q: 3.74, gamma: 15.44 };
    // Act / Assess
    expect(gammaGammaExpectedAverageSpend(g, 0, 0)).toBeCloseTo(gammaGammaPopulationMean(g), 12);
    expect(gammaGammaPopulationMean({ p: 1, q: 0.9, gamma: 1 })).toBe(Infinity);
  });
});
