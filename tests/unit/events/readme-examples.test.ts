import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, validateBatch } from '../../../shared/events/schema';

/** The README's example request, so the documentation cannot drift from the contract. */
function readmeExample(): unknown {
  const readme = readFileSync('README.md', 'utf8');
  const match = readme.match(/<!-- events-example -->\s*```json\n([\s\S]*?)```/);
  if (!match) throw new Error('README has no events-example block');
  return JSON.parse(match[1]!);
}

describe('the README example request', () => {
  it('is valid and shows every event type', () => {
    const body = readmeExample();

    const result = validateBatch(body, { maxEventsPerRequest: 500 });

    expect(result.ok).toBe(true);
    const types = new Set((body as { events: { type: string }[] }).events.map((e) => e.type));
    expect([...types].sort()).toEqual([...EVENT_TYPES].sort());
  });
});

describe('the per-event size limit', () => {
  it('rejects an event over maxEventBytes, naming its index, and keeps checking the others', () => {
    const event = (i: number, tag: string) => ({ eventId: `e-${i}`, userId: 'u-1', type: 'profile', timestamp: '2026-01-01T10:00:00+08:00', properties: { tags: [tag] } });
    const body = { events: [event(0, 'small'), { ...event(1, 'x'), properties: { channels: { push: 'p'.repeat(3000) } } }, { ...event(2, 'y'), type: 'nope' }] };

    const result = validateBatch(body, { maxEventsPerRequest: 10, maxEventBytes: 2048 });

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual([
      { index: 1, field: '(event)', reason: expect.stringMatching(/the limit is 2048/) },
      { index: 2, field: 'type', reason: expect.stringMatching(/must be one of/) },
    ]);
  });
});
