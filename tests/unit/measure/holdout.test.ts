import { describe, it, expect } from 'vitest';
import { defaultConfig } from '../../../shared/config';
import { isHoldout, unitHash } from '../../../shared/measure/holdout';

const HOLDOUT = defaultConfig().holdout; // 10%
const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

describe('isHoldout', () => {
  it('gives the same answer for the same user and campaign every time', () => {
    // Prepare
    const ids = users(2_000);

    // Act
    const first = ids.map((u) => isHoldout(u, 'winback', HOLDOUT));
    const second = ids.map((u) => isHoldout(u, 'winback', { ...HOLDOUT }));

    // Assess
    expect(second).toEqual(first);
  });

  it('holds out close to the configured 10% of 20,000 users', () => {
    // Prepare
    const ids = users(20_000);

    // Act
    const share = ids.filter((u) => isHoldout(u, 'winback', HOLDOUT)).length / ids.length;

    // Assess
    expect(share).toBeGreaterThanOrEqual(0.09);
    expect(share).toBeLessThanOrEqual(0.11);
  });

  it('holds out close to a configured 30% as well', () => {
    // Prepare
    const ids = users(20_000);

    // Act
    const share = ids.filter((u) => isHoldout(u, 'winback', { ...HOLDOUT, share: 0.3 })).length / ids.length;

    // Assess
    expect(share).toBeGreaterThanOrEqual(0.29);
    expect(share).toBeLessThanOrEqual(0.31);
  });

  it('holds out nobody when the share is 0', () => {
    // Prepare
    const ids = users(5_000);

    // Act
    const heldOut = ids.filter((u) => isHoldout(u, 'winback', { ...HOLDOUT, share: 0 }));

    // Assess
    expect(heldOut).toEqual([]);
  });

  it('draws a different group for a different campaign', () => {
    // Prepare
    const ids = users(2_000);

    // Act
    const differing = ids.filter((u) => isHoldout(u, 'winback', HOLDOUT) !== isHoldout(u, 'birthday', HOLDOUT));

    // Assess
    expect(differing.length).toBeGreaterThan(100);
  });

  it('reshuffles the group when the salt changes', () => {
    // Prepare
    const ids = users(2_000);

    // Act
    const differing = ids.filter((u) => isHoldout(u, 'winback', HOLDOUT) !== isHoldout(u, 'winback', { ...HOLDOUT, salt: 'other-salt' }));

    // Assess
    expect(differing.length).toBeGreaterThan(100);
  });

  it('keeps everyone already held out when the share grows', () => {
    // Prepare
    const ids = users(5_000);

    // Act
    const atTen = ids.filter((u) => isHoldout(u, 'winback', HOLDOUT));
    const atTwenty = new Set(ids.filter((u) => isHoldout(u, 'winback', { ...HOLDOUT, share: 0.2 })));

    // Assess
    expect(atTen.every((u) => atTwenty.has(u))).toBe(true);
  });
});

describe('unitHash', () => {
  it('spreads strings evenly over [0, 1)', () => {
    // Prepare
    const hashes = users(10_000).map((u) => unitHash(u));

    // Act
    const deciles = Array.from({ length: 10 }, (_, d) => hashes.filter((h) => h >= d / 10 && h < (d + 1) / 10).length);

    // Assess
    expect(hashes.every((h) => h >= 0 && h < 1)).toBe(true);
    for (const count of deciles) {
      expect(count).toBeGreaterThan(900);
      expect(count).toBeLessThan(1100);
    }
  });
});
