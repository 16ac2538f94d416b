import { toCsv } from '@shortlist/scoring';
import type { DocumentDomain } from '@shortlist/db';
import type { ScreeningReport } from './embedded-screening';

export const FORMATS = ['table', 'csv', 'json', 'html'] as const;
export type Format = (typeof FORMATS)[number];

const fixed = (value: number, digits: number) => value.toFixed(digits);

/** A domain label as a cell: `healthcare 0.62 (technology 0.48)`. */
const labelCell = (label: DocumentDomain | undefined) =>
  label
    ? `${label.label} ${fixed(label.similarity, 2)}${label.runnerUp ? ` (${label.runnerUp.label} ${fixed(label.runnerUp.similarity, 2)})` : ''}`
    : '';

/**
 * The ranking as a terminal table: rank, file, final, semantic, domain, a mark for same-domain, and the resume's
 * domain label with its runner-up.
 */
function table(report: ScreeningReport): string {
  const rows = report.results.map((r) => [
    String(r.rank),
    r.file,
    fixed(r.final, 1),
    fixed(r.semantic, 3),
    fixed(r.domain, 3),
    r.sameDomain ? '✓' : '',
    labelCell(r.domainLabel),
  ]);
  const header = ['rank', 'file', 'final', 'semantic', 'domain', 'same domain', 'domain label (runner-up)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const numeric = [true, false, true, true, true, false, false];
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const posting = report.posting.domainLabel;
  return [
    `${report.posting.title}: ${report.results.length} ranked${posting ? `; the posting's domain: ${labelCell(posting)}` : ''}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** An inline SVG histogram of final scores (10 bins over 0..100). */
function histogram(report: ScreeningReport): string {
  const bins = Array.from({ length: 10 }, () => 0);
  for (const r of report.results) bins[Math.min(9, Math.floor(r.final / 10))]!++;
  const max = Math.max(1, ...bins);
  const bars = bins
    .map((n, i) => {
      const h = Math.round((n / max) * 120);
      return `<rect x="${20 + i * 40}" y="${140 - h}" width="34" height="${h}" fill="#3b6ea5"><title>${i * 10}–${i * 10 + 10}: ${n}</title></rect><text x="${37 + i * 40}" y="155" font-size="10" text-anchor="middle">${i * 10}</text>`;
    })
    .join('');
  return `<svg role="img" aria-label="Distribution of final scores" width="440" height="165" viewBox="0 0 440 165">${bars}</svg>`;
}

/** One self-contained HTML file: the ranking as a sortable table and the distribution of scores. */
function html(report: ScreeningReport): string {
  const rows = report.results
    .map(
      (r) =>
        `<tr><td>${r.rank}</td><td>${escapeHtml(r.file)}</td><td>${fixed(r.final, 1)}</td><td>${fixed(r.semantic, 4)}</td><td>${fixed(r.domain, 4)}</td><td>${r.sameDomain ? 'yes' : 'no'}</td><td>${escapeHtml(labelCell(r.domainLabel))}</td></tr>`,
    )
    .join('\n');
  const skipped = report.skipped.length
    ? `<h2>Skipped</h2><ul>${report.skipped.map((s) => `<li>${escapeHtml(s.file)}: ${escapeHtml(s.reason)}</li>`).join('')}</ul>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Shortlist: ${escapeHtml(report.posting.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse}
th,td{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:left}th{cursor:pointer;background:#f3f5f8}
td:nth-child(1),td:nth-child(3),td:nth-child(4),td:nth-child(5){text-align:right;font-variant-numeric:tabular-nums}
</style></head><body>
<h1>${escapeHtml(report.posting.title)}</h1>
<p>${report.results.length} ranked; models ${escapeHtml(report.models.semantic.name)} / ${escapeHtml(report.models.domain.name)};
${report.posting.domainLabel ? `the posting's domain: ${escapeHtml(labelCell(report.posting.domainLabel))}; ` : ''}threshold ${report.params.threshold}, boost ${report.params.boost}, penalty ${report.params.penalty}${report.params.hardGate ? ', hard gate' : ''}.</p>
${histogram(report)}
<table id="ranking"><thead><tr><th>rank</th><th>file</th><th>final</th><th>semantic</th><th>domain</th><th>same domain</th><th>domain label (runner-up)</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${skipped}
<script>
// Click a header to sort by it (again to reverse).
document.querySelectorAll('#ranking th').forEach((th, column) => th.addEventListener('click', () => {
  const body = document.querySelector('#ranking tbody');
  const up = th.dataset.up !== 'true'; th.dataset.up = String(up);
  const key = (tr) => { const t = tr.children[column].textContent; return isNaN(t) ? t : Number(t); };
  [...body.rows].sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * (up ? 1 : -1)).forEach((tr) => body.appendChild(tr));
}));
</script>
</body></html>
`;
}

export function render(report: ScreeningReport, format: Format): string {
  switch (format) {
    case 'table':
      return `${table(report)}\n`;
    case 'csv':
      return toCsv(
        [
          'rank',
          'file',
          'documentId',
          'final',
          'unclipped',
          'semantic',
          'domain',
          'sameDomain',
          'domainLabel',
          'domainSimilarity',
          'domainRunnerUp',
        ] as const,
        report.results.map((r) => ({
          ...r,
          domainLabel: r.domainLabel?.label,
          domainSimilarity: r.domainLabel?.similarity,
          domainRunnerUp: r.domainLabel?.runnerUp?.label,
        })),
      );
    case 'json':
      return `${JSON.stringify(
        {
          posting: report.posting,
          models: report.models,
          params: report.params,
          results: report.results,
          skipped: report.skipped,
        },
        null,
        2,
      )}\n`;
    case 'html':
      return html(report);
  }
}
