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
