import { describe, expect, it } from 'vitest';
import { lazyAsync } from '../../shared/lazy';

describe('lazyAsync', () => {
  it('builds once and hands every caller the same value', async () => {
    let builds = 0;
    const get = lazyAsync(async () => ({ n: ++builds }));
    const [a, b] = await Promise.all([get(), get()]);
    expect(a).toBe(b);
    expect(await get()).toBe(a);
    expect(builds).toBe(1);
  });

  it('does not keep a failed build: the next call builds again', async () => {
    let builds = 0;
    const get = lazyAsync(async () => {
      builds += 1;
      if (builds === 1) throw new Error('secret not readable yet');
      return 'ready';
    });
    await expect(get()).rejects.toThrow('secret not readable yet');
    expect(await get()).toBe('ready');
    expect(builds).toBe(2);
  });
});
