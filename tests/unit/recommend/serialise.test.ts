import { describe, expect, it } from 'vitest';
import { assembleModel, chunks, decodePointer, LATEST_ID, MAX_RECORD_BYTES, modelRecords, recordBytes } from '../../../shared/recommend/serialise';
import { trainRecommender } from '../../../shared/recommend/train';
import type { Interaction, RecModel } from '../../../shared/recommend/types';

const NOW = Date.UTC(2026, 5, 1);
const buy = (userId: string, sku: string, category?: string): Interaction => ({ userId, sku, t: NOW, kind: 'purchase', ...(category ? { category } : {}) });

function trained(): RecModel {
  return trainRecommender(
    [buy('u1', 'A', 'tea'), buy('u1', 'B', 'cups'), buy('u2', 'A'), buy('u2', 'B'), buy('u2', 'C', 'tea'), buy('u3', 'C'), { ...buy('u3', 'A'), name: 'Jasmine tea' }],
    { fittedAt: new Date(NOW) },
  );
}

describe('modelRecords / assembleModel', () => {
  it('round-trips a model through its stored records', () => {
    // Prepare
    const model = trained();

    // Act
    const { records, pointer } = modelRecords(model);
    const back = assembleModel(decodePointer(pointer), records);

    // Assess
    expect(back.version).toBe(model.version);
    expect(back.popular).toEqual(model.popular);
    expect(back.popularByCategory).toEqual(model.popularByCategory);
    expect(back.params).toEqual(model.params);
    expect(back.stats).toEqual(model.stats);
    expect([...back.items.keys()].sort()).toEqual(['A', 'B', 'C']);
    expect(back.items.get('A')!.name).toBe('Jasmine tea');
    expect(back.items.get('A')!.category).toBe('tea');
    for (const [sku, entry] of model.items) {
      const stored = back.items.get(sku)!.neighbours;
      expect(stored.map(([s]) => s)).toEqual(entry.neighbours.map(([s]) => s));
      stored.forEach(([, score], i) => expect(score).toBeCloseTo(entry.neighbours[i]![1], 5));
    }
  });

  it('keys every record of a version by its fittedAt, and the pointer under recs#latest', () => {
    // Act
    const model = trained();
    const { records, pointer } = modelRecords(model);

    // Assess
    expect(pointer.modelId).toBe(LATEST_ID);
    expect(new Set(records.map((r) => r.fittedAt))).toEqual(new Set([model.fittedAt]));
    expect(records.map((r) => r.modelId)).toContain(`recs#${model.version}#i#A`);
    expect(records.map((r) => r.modelId)).toContain(`recs#${model.version}#c#tea`);
    expect(records.map((r) => r.modelId)).toContain(`recs#${model.version}#p#0`);
    expect(records.map((r) => r.modelId)).toContain(`recs#${model.version}#m#0`);
  });

  it('keeps an infinite parameter (the plain baseline) through the pointer', () => {
    const model = { ...trained(), params: { ...trained().params, trainHalfLifeDays: Infinity } };
    expect(decodePointer(modelRecords(model).pointer).params.trainHalfLifeDays).toBe(Infinity);
  });

  it('reads only what it is given: a partial read makes a partial model', () => {
    // Prepare
    const model = trained();
    const { records, pointer } = modelRecords(model);

    // Act
    const partial = assembleModel(
      decodePointer(pointer),
      records.filter((r) => r.modelId.endsWith('#i#B') || r.modelId.includes('#p#')),
    );

    // Assess
    expect([...partial.items.keys()]).toEqual(['B']);
    expect(partial.popular).toEqual(model.popular);
    expect(partial.popularByCategory.size).toBe(0);
  });

  it('refuses to build a record DynamoDB would reject', () => {
    // Prepare: one item whose name alone is over the budget.
    const model = trained();
    model.items.get('A')!.name = 'x'.repeat(MAX_RECORD_BYTES);

    // Act / Assess
    expect(() => modelRecords(model)).toThrow(RangeError);
  });
});

describe('chunks', () => {
  it('splits a list where its JSON would pass the byte budget', () => {
    // ["aaaa","bbbb"] is 15 bytes, adding ,"cc" would make 20 > 16.
    expect(chunks(['aaaa', 'bbbb', 'cc'], 16)).toEqual([['aaaa', 'bbbb'], ['cc']]);
    expect(JSON.stringify(['aaaa', 'bbbb']).length).toBeLessThanOrEqual(16);
  });

  it('keeps one empty chunk for an empty list, so a reader finds chunk 0', () => {
    expect(chunks([])).toEqual([[]]);
  });
});

describe('recordBytes', () => {
  it('counts attribute names and UTF-8 bytes', () => {
    // "modelId" 7 + "k" 1 + "fittedAt" 8 + "t" 1 + "c" 1 + "茶" 3
    expect(recordBytes({ modelId: 'k', fittedAt: 't', c: '茶' })).toBe(21);
  });
});
