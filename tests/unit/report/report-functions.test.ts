/**
 * The report Lambda and GET /v1/reports/latest against a mocked S3: which objects are written,
 * under which keys and content types, with what in them; and the 200 / 404 / 500 answers.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { runReport, type ReportDeps } from '../../../functions/report/handler';
import { getLatestReport } from '../../../functions/report/latest';
import { defaultConfig } from '../../../shared/config';
import type { Report } from '../../../shared/measure/report';
import type { Fact } from '../../../shared/profiles/facts';
import type { SendRecord } from '../../../shared/store/send-ledger';

const s3Client = new S3Client({ region: 'ap-northeast-1' });
const s3 = mockClient(s3Client);
const BUCKET = 'rewake-reports-test';

const record = (userId: string, holdout: boolean): SendRecord => ({
  userId,
  campaign: 'winback',
  step: 0,
  status: holdout ? 'holdout' : 'sent',
  scoredAt: '2026-03-01T18:00:00.000Z',
  asOf: '2026-03-02',
  state: 'dormant',
  tier: 'medium',
  reason: 'unknown',
  value: 120,
  holdout,
  queuedAt: '2026-03-01T18:00:00.000Z',
  at: '2026-03-01T20:00:00.000Z', // 2026-03-02 04:00 in Shanghai
  channel: 'sms',
  offerId: 'coupon-10',
});

function deps(now: string): ReportDeps {
  // u1 (treated) buys within the window, u2 (treated) and u3 (holdout) do not.
  const facts: Record<string, Fact[]> = {
    u1: [
      { id: 'e1', type: 'purchase', t: Date.parse('2026-03-05T00:00:00Z'), day: '2026-03-05', p: { orderId: 'o1', amount: 80, currency: 'CNY' } },
      { id: 'e2', type: 'browse', t: Date.parse('2026-03-04T00:00:00Z'), day: '2026-03-04', p: { sku: 's', category: 'tea' } },
    ],
  };
  return {
    config: defaultConfig(),
    sources: {
      ledger: {
        async *scanAll() {
          yield [record('u1', false), record('u2', false)];
          yield [record('u3', true)];
        },
      },
      events: { loadFacts: async (userId: string) => facts[userId] ?? [] },
      countUsers: async () => 42,
    },
    s3: s3Client,
    bucket: BUCKET,
    now: () => new Date(now),
  };
}

beforeEach(() => {
  s3.reset();
});

describe('report job', () => {
  it('writes the dated JSON, the HTML page and latest.json last, with their content types', async () => {
    s3.on(PutObjectCommand).resolves({});
    // 2026-04-09 23:00 UTC is already 04-10 in Shanghai (schedule.timezone): the dated key uses that day.
    const result = await runReport({ source: 'schedule' }, deps('2026-04-09T23:00:00Z'));

    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType])).toEqual([
      [BUCKET, 'reports/2026-04-10.json', 'application/json; charset=utf-8'],
      [BUCKET, 'reports/latest.html', 'text/html; charset=utf-8'],
      [BUCKET, 'reports/latest.json', 'application/json; charset=utf-8'],
    ]);
    expect(result.keys).toEqual(['reports/2026-04-10.json', 'reports/latest.html', 'reports/latest.json']);

    const latest = JSON.parse(puts[2]!.Body as string) as Report;
    expect(puts[0]!.Body).toBe(puts[2]!.Body);
    expect(latest.counts.analysed).toEqual({ treated: 2, holdout: 1 });
    expect(latest.overall.treated).toMatchObject({ n: 2, reactivated: 1, revenue: 80 });
    expect(latest.overall.holdout).toMatchObject({ n: 1, reactivated: 0 });
    expect(latest.funnel.users).toBe(42);
    expect(latest.delivery).toBe('real');
    expect(latest.overall.verdict).toBe('too_small');

    const html = puts[1]!.Body as string;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<canvas id="chart-uplift"');
    expect(html).toContain('Chart.js v4'); // the library is inlined, not linked
    expect(html).not.toMatch(/<script[^>]+src=/);
  });

  it('honours a requested period and instant', async () => {
    s3.on(PutObjectCommand).resolves({});
    // Windows open on 03-02 (Shanghai): a period starting 03-03 has none of them.
    await runReport({ now: '2026-05-01T00:00:00Z', from: '2026-03-03' }, deps('2030-01-01T00:00:00Z'));
    const latest = JSON.parse(s3.commandCalls(PutObjectCommand)[2]!.args[0].input.Body as string) as Report;
    expect(latest.period.from).toBe('2026-03-03');
    expect(latest.counts.outsidePeriod).toBe(3);
    expect(latest.generatedAt).toBe('2026-05-01T00:00:00.000Z');
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: 'reports/2026-05-01.json' });
  });

  it('fails loudly, before touching latest.json, when the bucket refuses a write', async () => {
    s3.on(PutObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'Access Denied' }));
    await expect(runReport({}, deps('2026-04-09T23:00:00Z'))).rejects.toThrow('Access Denied');
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['reports/2026-04-10.json']);
  });

  it('rejects an invalid "now"', async () => {
    await expect(runReport({ now: 'yesterday' }, deps('2026-04-09T23:00:00Z'))).rejects.toThrow('invalid "now"');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('GET /v1/reports/latest', () => {
  const get = { httpMethod: 'GET', resource: '/v1/reports/latest', path: '/v1/reports/latest' };

  it('returns the stored latest.json as it is', async () => {
    const stored = JSON.stringify({ version: 1, conclusion: 'No measurable uplift: …' });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: 'reports/latest.json' }).resolves({
      Body: { transformToString: async () => stored } as never,
      LastModified: new Date('2026-04-10T06:00:00Z'),
    });
    const response = await getLatestReport(get, { s3: s3Client, bucket: BUCKET });
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'last-modified': 'Fri, 10 Apr 2026 06:00:00 GMT' });
    expect(response.body).toBe(stored);
  });

  it('answers 404 with a clear message before the first report', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ $metadata: {}, message: 'The specified key does not exist.' }));
    const response = await getLatestReport(get, { s3: s3Client, bucket: BUCKET });
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).message).toMatch(/^No report yet: the report job has not run/);
  });

  it('answers 500 without details on any other S3 failure, and 405 to other methods', async () => {
    s3.on(GetObjectCommand).rejects(new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'Access Denied for arn:aws:s3:::secret' }));
    const failed = await getLatestReport(get, { s3: s3Client, bucket: BUCKET });
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toContain('arn:aws');
    const post = await getLatestReport({ ...get, httpMethod: 'POST' }, { s3: s3Client, bucket: BUCKET });
    expect(post.statusCode).toBe(405);
  });
});
