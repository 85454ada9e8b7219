import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config';
import { ConfigError } from '../../../shared/errors';
import { DEFAULT_PARAMS } from '../../../shared/recommend/train';

describe('recommendations config', () => {
  it('defaults to 10 items, the tuned neighbour count, a 90-day rule and no consumable categories', () => {
    const { recommendations } = parseConfig({});
    expect(recommendations).toEqual({ count: 10, neighbours: DEFAULT_PARAMS.neighbours, popularItems: DEFAULT_PARAMS.popularItems, recentDays: 90, consumableCategories: [], trainCron: '0 3 ? * MON *' });
  });

  it('rejects a neighbour count that could push one stored item towards 400 KB, naming the field', () => {
    expect(() => parseConfig({ recommendations: { neighbours: 5000 } })).toThrow(ConfigError);
    expect(() => parseConfig({ recommendations: { neighbours: 5000 } })).toThrow(/recommendations\.neighbours/);
  });
});
