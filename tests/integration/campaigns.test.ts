/**
 * Campaigns beyond win-back, through the real handlers on the embedded runtime: events in through
 * ingest, the scan's phases as the state machine runs them, the sender fed by the queue runner,
 * messages out to the fake Pinpoint. One story, scan day by scan day, from 2 March 2026:
 *
 *   D0  03-02  birthday outranks win-back; a second scan that day adds nothing
 *   D1  03-03  win-back starts the day after the birthday; the birthday is not sent again; a
 *              birthday the day after a win-back message is not held by the win-back 7-day cap
 *   D7  03-09  nor does that birthday hold the next win-back step
 *   D21 03-23  the last win-back step meets the 30-day cap the birthday counted against
 *   06-20 / 06-22  re-entry into win-back: not before the 90-day cooldown, then episode 2
 *   06-23  new arrivals reach only the user who likes the category
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as ingest } from '../../functions/ingest/handler';
import { depsFromEnv as scanDepsFromEnv, handler as scanHandler, runPhase, type ScanRequest, type ScanSummary } from '../../functions/scan/handler';
import { handler as sendHandler } from '../../functions/send/handler';
import { holdoutCampaign, type CampaignKind } from '../../shared/campaigns/kinds';
import { parseConfig, type RewakeConfigInput } from '../../shared/config';
import type { DecisionRecord } from '../../shared/delivery/decision-log';
import { isHoldout } from '../../shared/measure/holdout';
import { drainQueue } from '../../infra/local/queue-runner';
import type { LocalRuntime } from '../../infra/local/runtime';
import { runScanStateMachine, type ScanInvoke } from '../../infra/local/scan-orchestrator';
import { post, settle, startTestRuntime } from './helpers';
import { profileUpdate, purchase, reachable } from '../fixtures/events';

const CONFIG_INPUT: RewakeConfigInput = {
  campaigns: { newArrivals: { announcements: [{ id: 'teaware-spring', category: '茶具', arrivedOn: '2026-06-20' }] } },
};
const config = parseConfig(CONFIG_INPUT);

/** A user id in the treated group of every campaign kind, so each message is really sent. */
const treated = (name: string) =>
  Array.from({ length: 500 }, (_, i) => `${name}-${i}`).find((id) =>
    (['winback', 'birthday', 'anniversary', 'new_arrivals'] as CampaignKind[]).every((k) => !isHoldout(id, holdoutCampaign(k, 'winback'), config.holdout)),
  )!;
const bday = treated('bday');
const activeBday = treated('active-bday');
const capped = treated('capped');
const reentry = treated('reentry');
const fan = treated('fan');
const notFan = treated('notfan');
const activeFan = treated('activefan');

let runtime: LocalRuntime;

interface Sent {
  userId: string;
  campaign: string;
  step: number;
  body: string;
}
function sent(): Sent[] {
  return readFileSync(runtime.outbox.outboxFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const { messages, request } = JSON.parse(line) as {
        messages: { userId: string; campaign: string; step: number; address: string; deliveryStatus: string }[];
        request: { MessageRequest: { Addresses: Record<string, { BodyOverride: string }> } } | { Addresses: Record<string, { BodyOverride: string }> };
      };
      const addresses = 'MessageRequest' in request ? request.MessageRequest.Addresses : request.Addresses;
      return messages
        .filter((m) => m.deliveryStatus === 'SUCCESSFUL')
        .map((m) => ({ userId: m.userId, campaign: m.campaign, step: m.step, body: addresses[m.address]?.BodyOverride ?? '' }));
    });
}
const sentTo = (userId: string) => sent().filter((m) => m.userId === userId).map((m) => `${m.campaign}#${m.step}`);
const decisions = (): DecisionRecord[] => readFileSync(runtime.decisionsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as DecisionRecord);
const decisionsOf = (userId: string) => decisions().filter((d) => d.userId === userId);

/** The daily scan at 02:00 Shanghai time on `day`, then the sends at 10:00 (outside quiet hours). */
async function scanAndSend(day: string, opts: { scanAt?: string; invoke?: ScanInvoke } = {}): Promise<ScanSummary> {
  const summary = await runScanStateMachine(opts.invoke ?? (scanHandler as never), { source: 'test', now: `${day}T${opts.scanAt ?? '02:00'}:00+08:00` });
  process.env.REWAKE_NOW = `${day}T10:00:00+08:00`;
  await drainQueue({ client: runtime.sqs.client, queueUrl: runtime.sqs.queueUrl, handler: sendHandler as never, idlePollMs: 20 });
  return summary;
}

beforeAll(async () => {
  runtime = await startTestRuntime(CONFIG_INPUT);
  process.env.REWAKE_NOW = '2026-03-01T10:00:00+08:00';
  const res = await post(ingest, [
    // Dormant (last purchase in August), birthday on 3 March.
    purchase(bday, '2025-08-15T10:00:00+08:00', 120),
    reachable(bday, '2025-08-15T10:00:00+08:00'),
    profileUpdate(bday, '2025-08-15T10:01:00+08:00', { birthday: '1990-03-03' }),
    // Active (bought 10 days before D0), birthday on 2 March.
    purchase(activeBday, '2026-02-20T10:00:00+08:00', 80),
    reachable(activeBday, '2026-02-20T10:00:00+08:00'),
    profileUpdate(activeBday, '2026-02-20T10:01:00+08:00', { birthday: '--03-02' }),
    // Dormant, birthday on 6 March (window from 3 March): inside their first win-back episode.
    purchase(capped, '2025-08-20T10:00:00+08:00', 90),
    reachable(capped, '2025-08-20T10:00:00+08:00'),
    profileUpdate(capped, '2025-08-20T10:01:00+08:00', { birthday: '--03-06' }),
    // Dormant, no birthday: win-back only.
    purchase(reentry, '2025-08-20T10:00:00+08:00', 70),
    reachable(reentry, '2025-08-20T10:00:00+08:00'),
  ]);
  expect(res.statusCode).toBe(202);
  await settle(runtime);
});
afterAll(async () => {
  delete process.env.REWAKE_NOW;
  await runtime?.stop();
});

describe('birthday and priority', () => {
  it('enqueues the birthday ahead of win-back for a dormant user, and the birthday of an active one', async () => {
    const summary = await scanAndSend('2026-03-02');

    expect(summary.byCampaign).toEqual({ winback: 2, birthday: 2, anniversary: 0, new_arrivals: 0 });
    expect(summary.outranked).toBe(1);
    expect(sentTo(bday)).toEqual(['birthday-2026#0']);
    expect(sentTo(activeBday)).toEqual(['birthday-2026#0']);
    expect(sentTo(capped)).toEqual(['winback#0']);
    const birthdayBody = sent().find((m) => m.userId === bday)!.body;
    expect(birthdayBody).toMatch(/^【Rewake Shop】生日快乐！.*送您一张8\.5折生日券。券码RW[A-Z0-9]{8}，2026-03-16前有效。拒收请回复R$/);
    expect(decisionsOf(bday).filter((d) => d.reason === 'lower_priority')).toEqual([
      expect.objectContaining({ campaign: 'winback', step: 0, kind: 'winback', decision: 'deferred', outrankedBy: 'birthday-2026' }),
    ]);
  });

  it('adds nothing when the scan runs again the same day', async () => {
    const again = await scanAndSend('2026-03-02', { scanAt: '05:00' });

    expect(again.enqueued).toBe(0);
    expect(sentTo(bday)).toEqual(['birthday-2026#0']);
    expect(sentTo(activeBday)).toEqual(['birthday-2026#0']);
  });

  it('starts win-back the next day and does not send the birthday again inside its window', async () => {
    const summary = await scanAndSend('2026-03-03');

    // bday's win-back step 0, and the birthday of `capped` (see the caps below); no second birthday for bday.
    expect(summary.byCampaign).toEqual({ winback: 1, birthday: 1, anniversary: 0, new_arrivals: 0 });
    expect(sentTo(bday)).toEqual(['birthday-2026#0', 'winback#0']);
    expect(sentTo(activeBday)).toEqual(['birthday-2026#0']);
  });
});

describe('frequency caps across campaigns (1 win-back message in 7 days, 3 of any campaign in 30)', () => {
  it('sends a birthday the day after a win-back message: the win-back 7-day cap does not hold it', () => {
    // The scan and sends of D1 ran in the test above.
    expect(sentTo(capped)).toEqual(['winback#0', 'birthday-2026#0']);
  });

  it('sends the next win-back step six days after the birthday: the birthday does not count against the win-back cap', async () => {
    await scanAndSend('2026-03-09');

    expect(sentTo(capped)).toEqual(['winback#0', 'birthday-2026#0', 'winback#1']);
  });

  it('holds back the last win-back step with the 30-day cap, which the birthday counted against', async () => {
    await scanAndSend('2026-03-23');

    // Three messages since 21 February: win-back 0 (03-02), birthday (03-03), win-back 1 (03-09).
    expect(sentTo(capped)).toEqual(['winback#0', 'birthday-2026#0', 'winback#1']);
    expect(decisionsOf(capped).find((d) => d.campaign === 'winback' && d.step === 2)).toMatchObject({ decision: 'suppressed', reason: 'frequency_cap' });
    // The user without a birthday had only two messages in those 30 days: their last step goes out.
    expect(sentTo(reentry)).toEqual(['winback#0', 'winback#1', 'winback#2']);
  });
});

describe('win-back re-entry', () => {
  it('does not re-enter a user before the cooldown (90 days after the last step, sent on 03-23)', async () => {
    await scanAndSend('2026-06-20');

    expect(sentTo(reentry)).toEqual(['winback#0', 'winback#1', 'winback#2']);
  });

  it('re-enters a still dormant user into a new episode once the cooldown has passed', async () => {
    await scanAndSend('2026-06-22');

    expect(sentTo(reentry)).toEqual(['winback#0', 'winback#1', 'winback#2', 'winback~2#0']);
    expect(sent().filter((m) => m.userId === reentry).at(-1)!.body).toMatch(/^【Rewake Shop】好久不见/);
  });
});

describe('new arrivals', () => {
  it('reaches only the at-risk or dormant user whose categories include the announced one, naming it', async () => {
    await post(ingest, [
      purchase(fan, '2025-11-01T10:00:00+08:00', 60, { category: '茶具', sku: 'cup-1' }),
      reachable(fan, '2025-11-01T10:00:00+08:00'),
      purchase(notFan, '2025-11-01T10:00:00+08:00', 60, { category: '绿茶' }),
      reachable(notFan, '2025-11-01T10:00:00+08:00'),
      purchase(activeFan, '2026-06-15T10:00:00+08:00', 60, { category: '茶具', sku: 'cup-2' }),
      reachable(activeFan, '2026-06-15T10:00:00+08:00'),
    ]);
    await settle(runtime);
    // Win-back switched off for this scan, so the announcement is seen alone (with win-back on,
    // the dormant fan would first enter a win-back episode, which outranks new arrivals).
    const deps = { ...scanDepsFromEnv(), config: { ...config, campaigns: { ...config.campaigns, priority: ['new_arrivals' as const] } } };
    const invoke: ScanInvoke = (request) => runPhase(request as ScanRequest, deps);

    const summary = await scanAndSend('2026-06-23', { invoke });

    expect(summary.byCampaign).toEqual({ winback: 0, birthday: 0, anniversary: 0, new_arrivals: 1 });
    expect(sentTo(fan)).toEqual(['new-teaware-spring#0']);
    expect(sentTo(notFan)).toEqual([]);
    expect(sentTo(activeFan)).toEqual([]);
    expect(sent().find((m) => m.userId === fan)!.body).toBe('【Rewake Shop】茶具上新了，快来看看。拒收请回复R');
  });
});
