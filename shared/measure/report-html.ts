/**
 * The reactivation report as one self-contained HTML page: tables rendered here, charts drawn in
 * the browser by Chart.js, whose UMD build is inlined so the page opens offline, from a bucket or
 * an e-mail attachment alike. A Content-Security-Policy forbids every network fetch, so a page that
 * renders at all renders from itself.
 *
 * Charts: the funnel by state, the funnel by tier, reactivation over time (treated vs holdout, by
 * days since the send) and uplift by tier with 95% interval bars (floating bars [low, high] with
 * the estimate as a point: Chart.js has no error bars of its own).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPercent, formatPoints, formatSignedPercent, DIMENSIONS, type Comparison, type GroupRow, type Report } from './report';

/** The Chart.js build the page inlines; the report Lambda's bundle carries a copy of it. */
export const CHART_JS_FILE = 'chart.umd.min.js';

/**
 * The Chart.js UMD build: beside the running bundle in Lambda (the stack copies it there), else
 * from the installed package, whose `exports` hide `dist/`, so it is found next to the CommonJS
 * entry point.
 */
export function loadChartJs(): string {
  const bundled = join(dirname(fileURLToPath(import.meta.url)), CHART_JS_FILE);
  if (existsSync(bundled)) return readFileSync(bundled, 'utf8');
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('chart.js')), CHART_JS_FILE), 'utf8');
}

export interface RenderOptions {
  /** Chart.js UMD source to inline. @default loadChartJs() */
  chartJs?: string;
}

export function renderReportHtml(report: Report, options: RenderOptions = {}): string {
  const chartJs = options.chartJs ?? loadChartJs();
  const title = 'Rewake — reactivation report (回流率)';
  const period = `${report.period.from ?? 'the beginning'} to ${report.period.to ?? 'now'} (${report.period.timezone})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Windows opening from ${esc(period)} · ${report.settings.attributionDays}-day attribution window · reactivated = ${esc(report.settings.qualifyingEvents.join(' or '))} · generated ${esc(report.generatedAt)}</p>
<p class="conclusion verdict-${report.overall.verdict}" id="conclusion">${esc(report.conclusion)}</p>
${report.delivery === 'simulated' ? '<p class="simulated">Simulated delivery: no message in this data reached anyone.</p>' : ''}
${warningsHtml(report.warnings)}
<h2>Treated vs holdout</h2>
${headlineTable(report)}
<h2>Charts</h2>
<div class="charts">
  <figure><figcaption>Funnel by state</figcaption><div class="chart"><canvas id="chart-funnel" aria-label="funnel by state" role="img"></canvas></div></figure>
  <figure><figcaption>Funnel by tier</figcaption><div class="chart"><canvas id="chart-tiers" aria-label="funnel by tier" role="img"></canvas></div></figure>
  <figure><figcaption>Reactivated within d days of the (would-be) send</figcaption><div class="chart"><canvas id="chart-over-time" aria-label="reactivation over time" role="img"></canvas></div></figure>
  <figure><figcaption>Absolute uplift by tier, points, with 95% CI</figcaption><div class="chart"><canvas id="chart-uplift" aria-label="uplift by tier" role="img"></canvas></div></figure>
</div>
<p class="note">${esc(report.funnel.note)}</p>
${DIMENSIONS.map((d) => groupTable(d, report.groups[d])).join('\n')}
<h2>Coupons</h2>
${couponsTable(report)}
<h2>Counts</h2>
${countsHtml(report)}
<h2>Method</h2>
${methodHtml(report)}
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const REPORT = ${jsonForScript(report)};
${CHART_SCRIPT}
</script>
</body>
</html>
`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta,.note{color:#59636e;font-size:12px}
.conclusion{font-size:15px;padding:10px 14px;border-radius:6px;background:#f6f8fa;border-left:4px solid #8c959f}
.verdict-uplift{border-left-color:#1a7f37}.verdict-negative{border-left-color:#cf222e}.verdict-too_small{border-left-color:#bf8700}
.simulated{background:#fff8c5;padding:6px 12px;border-radius:6px}
.warnings{background:#fff8c5;padding:8px 12px 8px 30px;border-radius:6px}
table{border-collapse:collapse;margin:6px 0 14px;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:right}th{background:#f6f8fa}td:first-child,th:first-child{text-align:left}
tr.small td{color:#8c959f}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px}
figure{margin:0;border:1px solid #d0d7de;border-radius:6px;padding:8px}figcaption{font-weight:600;margin-bottom:4px}
.chart{position:relative;height:300px}
dl dt{font-weight:600;margin-top:6px}dl dd{margin:2px 0 0 16px}
`;

/** Drawn in the browser; Chart.js is on `window` from the inlined UMD build. */
const CHART_SCRIPT = `
(function () {
  const TREATED = '#0969da', HOLDOUT = '#bf8700', GREY = '#8c959f';
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  const pct = (v) => v === null || v === undefined ? null : Math.round(v * 10000) / 100;
  const f = REPORT.funnel;

  // Funnel by state: users (when a scan summary is known), each state, then the candidates' path.
  const stateLabels = [], stateValues = [], stateColours = [];
  if (f.users !== null) { stateLabels.push('users'); stateValues.push(f.users); stateColours.push(GREY); }
  for (const [state, n] of Object.entries(f.byState)) { stateLabels.push(state); stateValues.push(n); stateColours.push(GREY); }
  const candidates = f.treated + f.holdout;
  const path = [['candidates', candidates, GREY], ['treated (assigned)', f.treated, TREATED], ['messaged', f.messaged, TREATED],
    ['reactivated (treated)', f.reactivatedTreated, TREATED], ['holdout', f.holdout, HOLDOUT], ['reactivated (holdout)', f.reactivatedHoldout, HOLDOUT]];
  for (const [label, n, colour] of path) { stateLabels.push(label); stateValues.push(n); stateColours.push(colour); }
  const funnel = new Chart(document.getElementById('chart-funnel'), {
    type: 'bar',
    data: { labels: stateLabels, datasets: [{ label: 'users', data: stateValues, backgroundColor: stateColours }] },
    options: { indexAxis: 'y', plugins: { legend: { display: false } } },
  });

  // Funnel by tier: candidates, each arm and its reactivations.
  const tierRows = REPORT.groups.tier;
  const tiers = new Chart(document.getElementById('chart-tiers'), {
    type: 'bar',
    data: {
      labels: tierRows.map((g) => g.key),
      datasets: [
        { label: 'treated', data: tierRows.map((g) => g.treated.n), backgroundColor: TREATED + '66', borderColor: TREATED, borderWidth: 1 },
        { label: 'reactivated (treated)', data: tierRows.map((g) => g.treated.reactivated), backgroundColor: TREATED },
        { label: 'holdout', data: tierRows.map((g) => g.holdout.n), backgroundColor: HOLDOUT + '66', borderColor: HOLDOUT, borderWidth: 1 },
        { label: 'reactivated (holdout)', data: tierRows.map((g) => g.holdout.reactivated), backgroundColor: HOLDOUT },
      ],
    },
    options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'users' } } } },
  });

  // Reactivation over time: cumulative share reactivated by day d after the (would-be) send.
  const overTime = new Chart(document.getElementById('chart-over-time'), {
    type: 'line',
    data: {
      labels: REPORT.series.day,
      datasets: [
        { label: 'treated', data: REPORT.series.treated.map(pct), borderColor: TREATED, backgroundColor: TREATED, pointRadius: 0, borderWidth: 2, stepped: true },
        { label: 'holdout', data: REPORT.series.holdout.map(pct), borderColor: HOLDOUT, backgroundColor: HOLDOUT, pointRadius: 0, borderWidth: 2, stepped: true },
      ],
    },
    options: { scales: { x: { title: { display: true, text: 'days since the send' } }, y: { beginAtZero: true, title: { display: true, text: '% reactivated' } } } },
  });

  // Uplift by tier: the 95% interval as a floating bar, the estimate as a point, a line at 0.
  const upliftRows = [{ key: 'all', ...REPORT.overall }, ...tierRows];
  const zeroLine = {
    id: 'zeroLine',
    afterDatasetsDraw(chart) {
      const y = chart.scales.y.getPixelForValue(0), area = chart.chartArea, ctx = chart.ctx;
      if (y < area.top || y > area.bottom) return;
      ctx.save(); ctx.strokeStyle = '#1f2328'; ctx.lineWidth = 1; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(area.left, y); ctx.lineTo(area.right, y); ctx.stroke(); ctx.restore();
    },
  };
  const uplift = new Chart(document.getElementById('chart-uplift'), {
    type: 'bar',
    data: {
      labels: upliftRows.map((g) => g.tooSmall ? g.key + ' (too small)' : g.key),
      datasets: [
        { type: 'bar', label: '95% CI', data: upliftRows.map((g) => g.difference ? [pct(g.difference.low), pct(g.difference.high)] : null),
          backgroundColor: upliftRows.map((g) => g.tooSmall ? GREY + '55' : TREATED + '55'), borderColor: upliftRows.map((g) => g.tooSmall ? GREY : TREATED),
          borderWidth: 1, barPercentage: 0.35 },
        { type: 'line', label: 'uplift (points)', data: upliftRows.map((g) => g.difference ? pct(g.difference.estimate) : null),
          showLine: false, pointRadius: 6, pointStyle: 'rectRot', borderColor: '#1f2328', backgroundColor: '#1f2328' },
      ],
    },
    options: { scales: { y: { title: { display: true, text: 'treated − holdout, percentage points' } } } },
    plugins: [zeroLine],
  });

  window.rewakeCharts = { funnel, tiers, overTime, uplift };
})();
`;

function headlineTable(report: Report): string {
  const rows: [string, Comparison][] = [
    ['Intention to treat (headline)', report.overall],
    ['Sent only (biased, for reference)', report.sentOnly],
  ];
  return `<table id="headline">
<tr><th>comparison</th><th>treated n</th><th>reactivated</th><th>rate (95% CI)</th><th>holdout n</th><th>reactivated</th><th>rate (95% CI)</th><th>absolute uplift (95% CI)</th><th>relative uplift (95% CI)</th><th>revenue / user, treated vs holdout</th><th>verdict</th></tr>
${rows
  .map(
    ([label, c]) =>
      `<tr${c.tooSmall ? ' class="small"' : ''}><td>${esc(label)}</td><td>${c.treated.n}</td><td>${c.treated.reactivated}</td><td>${rateWithCi(c.treated)}</td><td>${c.holdout.n}</td><td>${c.holdout.reactivated}</td><td>${rateWithCi(c.holdout)}</td><td>${esc(differenceText(c))}</td><td>${esc(relativeText(c))}</td><td>${esc(revenueText(c))}</td><td>${esc(verdictText(c))}</td></tr>`,
  )
  .join('\n')}
</table>`;
}

function groupTable(dimension: string, rows: GroupRow[]): string {
  return `<h2>By ${esc(dimension)}</h2>
<table id="by-${esc(dimension)}">
<tr><th>${esc(dimension)}</th><th>treated n</th><th>reactivated</th><th>rate</th><th>holdout n</th><th>reactivated</th><th>rate</th><th>absolute uplift (95% CI)</th><th>relative uplift (95% CI)</th><th>revenue / user, treated vs holdout</th><th>verdict</th></tr>
${rows
  .map(
    (g) =>
      `<tr${g.tooSmall ? ' class="small"' : ''}><td>${esc(g.key)}</td><td>${g.treated.n}</td><td>${g.treated.reactivated}</td><td>${formatPercent(g.treated.rate)}</td><td>${g.holdout.n}</td><td>${g.holdout.reactivated}</td><td>${formatPercent(g.holdout.rate)}</td><td>${esc(differenceText(g))}</td><td>${esc(relativeText(g))}</td><td>${esc(revenueText(g))}</td><td>${esc(verdictText(g))}</td></tr>`,
  )
  .join('\n')}
</table>`;
}

function couponsTable(report: Report): string {
  const c = report.coupons;
  return `<table id="coupons">
<tr><th>offer</th><th>issued</th><th>redeemed in validity</th><th>rate</th></tr>
${c.byOffer.map((o) => `<tr><td>${esc(o.offerId)}</td><td>${o.issued}</td><td>${o.redeemed}</td><td>${formatPercent(o.redemptionRate)}</td></tr>`).join('\n')}
<tr><td><b>all</b></td><td>${c.issued}</td><td>${c.redeemed}</td><td>${formatPercent(c.redemptionRate)}</td></tr>
</table>
<p class="note">Redeemed after expiry ${c.redeemedAfterExpiry} · still valid ${c.stillValid} · revenue of redeemed orders ${money(c.revenue)} · redemptions of codes never sent ${c.unmatched} · codes redeemed by another user ${c.redeemedByAnotherUser}</p>`;
}

function countsHtml(report: Report): string {
  const c = report.counts;
  const excluded = Object.entries(c.excluded).map(([why, n]) => `${why}: treated ${n.treated}, holdout ${n.holdout}`).join('; ') || 'none';
  const firstStep = Object.entries(c.treatedFirstStep).map(([k, n]) => `${k} ${n}`).join(' · ') || '—';
  return `<ul id="counts">
<li>${c.ledgerRecords} ledger records, ${c.episodes} episodes (user × campaign); ${c.outsidePeriod} outside the period</li>
<li>Analysed: treated ${c.analysed.treated}, holdout ${c.analysed.holdout}; window still open: treated ${c.inProgress.treated}, holdout ${c.inProgress.holdout}; no decision yet: ${c.pending}</li>
<li>Excluded from both arms (suppressed before assignment could matter): ${esc(excluded)}</li>
<li>Treated, first step: ${esc(firstStep)}; messages sent in analysed episodes: ${c.messagesSent}</li>
<li>Currencies: ${esc(report.currencies.join(', ') || 'none')}</li>
</ul>`;
}

function methodHtml(report: Report): string {
  const m = report.method;
  const items: [string, string][] = [
    ['Unit of analysis', m.unit],
    ['Arms', m.arms],
    ['Sent only', m.sentOnly],
    ['Window', m.window],
    ['Absolute uplift', m.difference],
    ['Relative uplift', m.relative],
    ['Revenue', m.revenue],
    ['Coupons', m.coupons],
  ];
  return `<dl id="method">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>
<ul>${m.caveats.map((c) => `<li>${esc(c)}</li>`).join('')}</ul>`;
}

function warningsHtml(warnings: string[]): string {
  if (warnings.length === 0) return '';
  return `<ul class="warnings" id="warnings">${warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`;
}

function rateWithCi(arm: Comparison['treated']): string {
  if (arm.rate === null) return '—';
  return `${formatPercent(arm.rate)}${arm.rateCi ? ` <span class="note">(${formatPercent(arm.rateCi.low)}–${formatPercent(arm.rateCi.high)})</span>` : ''}`;
}

export function differenceText(c: Comparison): string {
  return c.difference ? `${formatPoints(c.difference.estimate)} (${formatPoints(c.difference.low)} to ${formatPoints(c.difference.high)})` : '—';
}

export function relativeText(c: Comparison): string {
  if (c.relative) return `${formatSignedPercent(c.relative.estimate)} (${formatSignedPercent(c.relative.low)} to ${formatSignedPercent(c.relative.high)})`;
  return c.treated.n > 0 && c.holdout.n > 0 ? 'none (an arm has no reactivation)' : '—';
}

export function revenueText(c: Comparison): string {
  return `${money(c.treated.revenuePerUser)} vs ${money(c.holdout.revenuePerUser)}`;
}

export function verdictText(c: Comparison): string {
  return { uplift: 'uplift', negative: 'treated lower', no_measurable_uplift: 'no measurable uplift', too_small: 'too small to conclude' }[c.verdict];
}

function money(v: number | null): string {
  return v === null ? '—' : v.toFixed(2);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/** JSON that cannot close the script element or start an HTML comment inside it. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
