import { describe, expect, it } from 'vitest';
import type { Fact } from '../../../shared/profiles/facts';
import { historyFromFacts, historyFromProfile, trainFromFacts } from '../../../shared/recommend/facts';

const T = Date.UTC(2026, 5, 1);
const purchase = (id: string, t: number, skus: string[], categories: string[]): Fact => ({ id, type: 'purchase', t, day: '2026-06-01', p: { orderId: id, amount: 10, currency: 'CNY', skus, categories } });
const browse = (id: string, t: number, sku: string, category: string): Fact => ({ id, type: 'browse', t, day: '2026-06-01', p: { sku, category } });
const login = (id: string, t: number): Fact => ({ id, type: 'login', t, day: '2026-06-01', p: { platform: 'ios' } });

describe('historyFromFacts', () => {
  it('turns purchases into one entry per sku and views into one entry, ignoring other facts', () => {
    // Act
    const history = historyFromFacts([purchase('p1', T, ['A', 'B'], ['tea']), purchase('p2', T + 1, ['C', 'D'], ['tea', 'cups']), browse('b1', T + 2, 'E', 'cups'), login('l1', T + 3)]);

    // Assess: a single-category order names its skus' category; a mixed one cannot.
    expect(history).toEqual([
      { sku: 'A', t: T, kind: 'purchase', category: 'tea' },
      { sku: 'B', t: T, kind: 'purchase', category: 'tea' },
      { sku: 'C', t: T + 1, kind: 'purchase' },
      { sku: 'D', t: T + 1, kind: 'purchase' },
      { sku: 'E', t: T + 2, kind: 'browse', category: 'cups' },
    ]);
  });
});

describe('historyFromProfile', () => {
  it('dates every recent sku at the last purchase, newest first, and is empty without purchases', () => {
    // Act
    const history = historyFromProfile({ recentSkus: ['N', 'M'], lastPurchaseAt: new Date(T).toISOString() });

    // Assess
    expect(history).toEqual([
      { sku: 'N', t: T, kind: 'purchase' },
      { sku: 'M', t: T - 1, kind: 'purchase' },
    ]);
    expect(historyFromProfile({ recentSkus: [] })).toEqual([]);
  });
});

describe('trainFromFacts', () => {
  it('trains on purchases and views of many users and settles categories across orders', () => {
    // Prepare: X appears in a tea+cups order and a tea+snacks order: its category is tea.
    const rows = [
      { userId: 'u1', fact: purchase('p1', T, ['X', 'Y'], ['tea', 'cups']) },
      { userId: 'u2', fact: purchase('p2', T, ['X', 'Z'], ['tea', 'snacks']) },
      { userId: 'u2', fact: browse('b1', T, 'Y', 'cups') },
      { userId: 'u3', fact: login('l1', T) },
    ];

    // Act
    const model = trainFromFacts(rows, { fittedAt: new Date(T) });

    // Assess
    expect(model.stats).toMatchObject({ users: 2, items: 3, interactions: 5 });
    expect(model.items.get('X')!.category).toBe('tea');
    expect(model.items.get('Y')!.category).toBe('cups');
    expect(model.items.get('Z')!.category).toBeUndefined();
    expect(model.items.get('X')!.neighbours.map(([s]) => s).sort()).toEqual(['Y', 'Z']);
  });
});
