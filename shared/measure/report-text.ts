/** The reactivation report as a table for a terminal: the headline, each breakdown, warnings and method. */
import { differenceText, relativeText, revenueText, verdictText } from './report-html';
import { DIMENSIONS, formatPercent, type Comparison, type Report } from './report';

export function reportTable(report: Report): string {
  const lines: string[] = [];
  const period = `${report.period.from ?? 'the beginning'} to ${report.period.to ?? 'now'} (${report.period.timezone})`;
  lines.push('', 'Rewake — reactivation report (回流率)', '');
  lines.push(`Windows opening from ${period}; ${report.settings.attributionDays}-day window; reactivated = ${report.settings.qualifyingEvents.join(' or ')}`);
  const c = report.counts;
  lines.push(
    `Episodes (user × campaign): treated ${c.analysed.treated}, holdout ${c.analysed.holdout} analysed; window still open ${c.inProgress.treated + c.inProgress.holdout}; no decision yet ${c.pending}; excluded before assignment ${Object.values(c.excluded).reduce((s, e) => s + e.treated + e.holdout, 0)}`,
  );
  lines.push('');
  lines.push(
    ...table(
      ['', 'treated', 'rate', 'holdout', 'rate', 'uplift (95% CI, Newcombe)', 'relative (95% CI, Katz)', 'revenue/user T vs H', 'verdict'],
      [row('intention to treat', report.overall), row('sent only (biased)', report.sentOnly)],
    ),
  );
  for (const dimension of DIMENSIONS) {
    lines.push('', `By ${dimension}`);
    lines.push(...table([dimension, 'treated', 'rate', 'holdout', 'rate', 'uplift (95% CI)', 'relative (95% CI)', 'revenue/user T vs H', 'verdict'], report.groups[dimension].map((g) => row(g.key, g))));
  }
  const k = report.coupons;
  lines.push('', `Coupons: ${k.issued} issued, ${k.redeemed} redeemed within validity (${formatPercent(k.redemptionRate)}), ${k.redeemedAfterExpiry} after expiry, ${k.stillValid} still valid; ${k.unmatched} redemptions of unknown codes`);
  if (report.warnings.length > 0) lines.push('', 'Warnings', ...report.warnings.map((w) => `  ! ${w}`));
  lines.push('', report.conclusion, '', `Method: ${report.method.difference} ${report.method.arms}`);
  return lines.join('\n') + '\n';
}

function row(label: string, c: Comparison): string[] {
  return [
    label,
    `${c.treated.reactivated}/${c.treated.n}`,
    formatPercent(c.treated.rate),
    `${c.holdout.reactivated}/${c.holdout.n}`,
    formatPercent(c.holdout.rate),
    differenceText(c),
    relativeText(c),
    revenueText(c),
    verdictText(c),
  ];
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? padEnd(cell, widths[i]!) : padStart(cell, widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Display width: CJK characters take two columns in a terminal. */
function width(text: string): number {
  let w = 0;
  for (const ch of text) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1;
  return w;
}
const padEnd = (text: string, w: number) => text + ' '.repeat(Math.max(0, w - width(text)));
const padStart = (text: string, w: number) => ' '.repeat(Math.max(0, w - width(text))) + text;
