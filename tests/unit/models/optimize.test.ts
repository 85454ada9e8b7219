import { describe, expect, it } from 'vitest';
import { lbfgs, minimizeMultiStart, nelderMead } from '../../../shared/models/optimize';

/** Rosenbrock's banana function and its gradient. */
function rosenbrock(x: Float64Array, g: Float64Array): number {
  const a = x[0]!;
  const b = x[1]!;
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
}

describe('lbfgs', () => {
  it('finds the minimum of the Rosenbrock function from the classic start', () => {
    // Prepare / Act
    const r = lbfgs(rosenbrock, [-1.2, 1]);
    // Assess
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it('backs off from steps where the objective is not finite', () => {
    // Prepare: f is only defined for x < 3; its minimum is at 2.
    const f = (x: Float64Array, g: Float64Array): number => {
      const v = x[0]!;
      if (v >= 3) return NaN;
      g[0] = 2 * (v - 2) - 1 / (3 - v) + 1;
      return (v - 2) ** 2 + Math.log(3 - v) + v;
    };
    // Act
    const r = lbfgs(f, [0], { maxFirstStep: 100 });
    // Assess
    expect(Number.isFinite(r.f)).toBe(true);
    expect(r.x[0]).toBeLessThan(3);
    expect(r.converged).toBe(true);
  });

  it('reports a start where the objective is not finite instead of throwing', () => {
    // Prepare / Act
    const r = lbfgs(() => NaN, [0, 0]);
    // Assess
    expect(r.converged).toBe(false);
  });
});

describe('nelderMead', () => {
  it('finds the minimum of a smooth function without derivatives', () => {
    // Prepare
    const f = (x: Float64Array): number => (x[0]! - 3) ** 2 + 2 * (x[1]! + 1) ** 2 + 0.5 * (x[2]! - 0.5) ** 2;
    // Act
    const r = nelderMead(f, [0, 0, 0]);
    // Assess
    expect(r.x[0]).toBeCloseTo(3, 5);
    expect(r.x[1]).toBeCloseTo(-1, 5);
    expect(r.x[2]).toBeCloseTo(0.5, 5);
  });
});

describe('minimizeMultiStart', () => {
  it('keeps the best of several local minima', () => {
    // Prepare: a double well with minima near −1 (deeper) and +1.
    const f = (x: Float64Array, g: Float64Array): number => {
      const v = x[0]!;
      g[0] = 4 * v * (v * v - 1) + 0.3;
      return (v * v - 1) ** 2 + 0.3 * v;
    };
    // Act
    const r = minimizeMultiStart(f, [[2], [-2]]);
    // Assess
    expect(r.runs).toHaveLength(2);
    expect(r.x[0]).toBeLessThan(0);
  });
});
