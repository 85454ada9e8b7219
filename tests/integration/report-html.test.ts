/**
 * report.html in a real browser: headless Chromium (/usr/bin/chromium, driven by playwright-core)
 * opens the file offline and the test checks that every chart was drawn by Chart.js with the
 * report's figures, that the canvases hold pixels, and that the page made no request and threw
 * nothing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** The system browser playwright-core drives (no browser download); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../shared/config';
import { buildReport, type Report, type ReportFact, type ReportSend } from '../../shared/measure/report';
import { renderReportHtml } from '../../shared/measure/report-html';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const START = Date.parse('2026-03-01T02:00:00Z');
const DAY = 86_400_000;

/** 90 treated and 30 holdout per tier; every third treated and every fifth holdout user buys, on spread-out days. */
function sampleReport(): Report {
  const sends: ReportSend[] = [];
  const facts: Record<string, ReportFact[]> = {};
  for (const tier of ['high', 'medium', 'low'] as const) {
    for (let i = 0; i < 120; i++) {
      const userId = `${tier}-${i}`;
      const holdout = i >= 90;
      sends.push({ userId, campaign: 'winback', step: 0, status: holdout ? 'holdout' : 'sent', holdout, at: new Date(START).toISOString(), state: i % 2 ? 'dormant' : 'at_risk', tier, reason: 'unknown', offerId: `offer-${tier}`, channel: 'push' });
      if ((!holdout && i % 3 === 0) || (holdout && i % 5 === 0)) facts[userId] = [{ type: 'purchase', t: START + (i % 29) * DAY + 3_600_000, p: { orderId: `o-${userId}`, amount: 50, currency: 'CNY' } }];
    }
  }
  return buildReport({ sends, facts, settings: defaultConfig().report, now: new Date(START + 60 * DAY), timezone: 'Asia/Shanghai', delivery: 'simulated' });
}

describe('report.html in headless Chromium', () => {
  const report = sampleReport();
  let dir: string;
  let context: BrowserContext;
  let page: Page;
  const requests: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rewake-report-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReportHtml(report));
    if (!existsSync(CHROMIUM)) {
      throw new Error(`This test renders report.html in a real browser and found none at ${CHROMIUM}: install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH.`);
    }
    context = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    page = await context.newPage();
    const pageUrl = pathToFileURL(file).href;
    page.on('request', (r) => {
      if (r.url() !== pageUrl) requests.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(pageUrl, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no page error and no network request', () => {
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  });

  it('draws four charts with Chart.js, each on a visible canvas with pixels on it', async () => {
    const canvases = (await page.evaluate(`(() => [...document.querySelectorAll('canvas')].map((c) => {
      const chart = Chart.getChart(c);
      const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
      return { id: c.id, width: c.width, height: c.height, type: chart ? chart.config.type : null, datasets: chart ? chart.data.datasets.map((d) => d.label) : [], painted, total: data.length / 4 };
    }))()`)) as { id: string; width: number; height: number; type: string | null; datasets: string[]; painted: number; total: number }[];

    expect(canvases.map((c) => c.id)).toEqual(['chart-funnel', 'chart-tiers', 'chart-over-time', 'chart-uplift']);
    for (const c of canvases) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(100);
      // Axes, bars and lines cover a visible part of the canvas, not a stray pixel.
      expect(c.painted / c.total, c.id).toBeGreaterThan(0.01);
    }
    expect(canvases.map((c) => [c.type, c.datasets])).toEqual([
      ['bar', ['users']],
      ['bar', ['treated', 'reactivated (treated)', 'holdout', 'reactivated (holdout)']],
      ['line', ['treated', 'holdout']],
      ['bar', ['95% CI', 'uplift (points)']],
    ]);
  });

  it('plots the report figures: the over-time curves and the uplift intervals by tier', async () => {
    const plotted = (await page.evaluate(`(() => {
      const overTime = Chart.getChart(document.getElementById('chart-over-time'));
      const uplift = Chart.getChart(document.getElementById('chart-uplift'));
      return { overTime: overTime.data.datasets.map((d) => d.data), labels: uplift.data.labels, intervals: uplift.data.datasets[0].data, points: uplift.data.datasets[1].data };
    })()`)) as { overTime: number[][]; labels: string[]; intervals: [number, number][]; points: number[] };

    // 30 treated of 90 per tier buy, 6 of 30 holdout: 33.33% vs 20% by day 30.
    expect(plotted.overTime[0]!.at(-1)).toBeCloseTo(33.33, 2);
    expect(plotted.overTime[1]!.at(-1)).toBeCloseTo(20, 2);
    expect(plotted.overTime[0]).toHaveLength(30);
    expect(plotted.labels).toEqual(['all', 'high', 'medium', 'low']);
    const rows = [report.overall, ...report.groups.tier];
    rows.forEach((row, i) => {
      expect(plotted.intervals[i]![0]).toBeCloseTo(row.difference!.low * 100, 1);
      expect(plotted.intervals[i]![1]).toBeCloseTo(row.difference!.high * 100, 1);
      expect(plotted.points[i]).toBeCloseTo(row.difference!.estimate * 100, 1);
    });
  });

  it('shows the conclusion, the warnings and the tables as text', async () => {
    expect(await page.textContent('#conclusion')).toBe(report.conclusion);
    expect(await page.textContent('#conclusion')).toContain('an uplift near zero is the honest, expected result');
    expect(await page.locator('#by-tier tr').count()).toBe(4);
    expect(await page.textContent('#headline')).toContain('Intention to treat');
    expect(await page.textContent('#method')).toContain('Newcombe');
  });
});
