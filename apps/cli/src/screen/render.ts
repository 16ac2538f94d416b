import { pathToFileURL } from 'node:url';
import { reasonText, screeningCsv } from '@shortlist/scoring';
import type { DocumentDomain } from '@shortlist/db';
import type { ScreenedFile, ScreeningReport } from './embedded-screening';
import { printable } from '../printable';

export const FORMATS = ['table', 'csv', 'json', 'html'] as const;
export type Format = (typeof FORMATS)[number];

/** Models made by tools/make_test_models.py: right shape, random weights. */
const RANDOM_MODEL = /^shortlist\/random-/;
export const RANDOM_MODELS_WARNING =
  'these are random test models: the ranking shows the mechanics, its scores carry no meaning';

export const usesRandomModels = (report: ScreeningReport) =>
  [report.models.semantic.name, report.models.domain.name].some((n) => RANDOM_MODEL.test(n));

const fixed = (value: number, digits: number) => value.toFixed(digits);

/** A domain label as a cell: `healthcare 0.62 (technology 0.48)`. */
const labelCell = (label: DocumentDomain | undefined) =>
  label
    ? `${label.label} ${fixed(label.similarity, 2)}${label.runnerUp ? ` (${label.runnerUp.label} ${fixed(label.runnerUp.similarity, 2)})` : ''}`
    : '';

/** `×1.2`, with the clipped score's unclipped value when it was clipped. */
const gateCell = (r: ScreenedFile) =>
  `×${r.gate.factor}${r.gate.clipped ? ` (${fixed(r.unclipped, 1)})` : ''}`;

/** The header line of the table and the report: how many were ranked and shown, and the gate's audit. */
function rankedLine(report: ScreeningReport): string {
  const shown = report.results.length;
  return `${report.ranked} ranked${shown < report.ranked ? `, the best ${shown} shown` : ''}`;
}

function auditLine(report: ScreeningReport): string {
  const a = report.audit;
  if (!a) return '';
  const p = report.params;
  return (
    `gate (domain > ${p.threshold}): ${a.boosted} boosted ×${p.boost}, ` +
    (p.hardGate ? `${a.removedByGate} removed by the hard gate` : `${a.penalised} penalised ×${p.penalty}`) +
    `; ${a.borderline} borderline (within ±0.05), ${a.review} to review (top-decile meaning, ${reviewedHow(p)})`
  );
}

/** What the gate did to the candidates to review: under the hard gate they are not in the results. */
const reviewedHow = (p: ScreeningReport['params']) =>
  p.hardGate ? 'removed by the hard gate: run without --hard-gate to see them' : 'penalised';

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The ranking as a terminal table: rank, file, final, the gate's factor (and the unclipped score when clipped),
 * semantic, domain, flags and the resume's domain label; under each row with evidence, its best passage.
 */
function table(report: ScreeningReport): string {
  const header = ['rank', 'file', 'final', 'gate', 'semantic', 'domain', 'flags', 'domain label (runner-up)'];
  const numeric = [true, false, true, false, true, true, false, false];
  const rows = report.results.map((r) => [
    String(r.rank),
    printable(r.file),
    fixed(r.final, 1),
    gateCell(r),
    fixed(r.semantic, 3),
    fixed(r.domain, 3),
    r.flags.join(' '),
    labelCell(r.domainLabel),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const posting = report.posting.domainLabel;
  const body = report.results.flatMap((r, i) => {
    const best = r.evidence?.[0];
    return [
      line(rows[i]!),
      ...(best ? [`      ${fixed(best.similarity, 2)} “${printable(truncate(best.text, 100))}”`] : []),
    ];
  });
  return [
    `${printable(report.posting.title)}: ${rankedLine(report)}${posting ? `; the posting's domain: ${labelCell(posting)}` : ''}`,
    ...(report.audit ? [auditLine(report)] : []),
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body,
  ].join('\n');
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** An inline SVG histogram of final scores: 10 bins (the last holds 100), counts over bars, labelled axes. */
function histogram(report: ScreeningReport): string {
  const bins = Array.from({ length: 10 }, () => 0);
  for (const r of report.results) bins[Math.min(9, Math.floor(r.final / 10))]!++;
  const max = Math.max(1, ...bins);
  const left = 50;
  const width = 44;
  const top = 30;
  const height = 150;
  const bars = bins
    .map((n, i) => {
      const h = Math.round((n / max) * height);
      const x = left + i * width;
      const range = `${i * 10}–${i === 9 ? 100 : i * 10 + 10}`;
      return (
        `<g class="bin"><rect x="${x + 4}" y="${top + height - h}" width="${width - 8}" height="${h}" fill="#3b6ea5"><title>final ${range}: ${n} candidate(s)</title></rect>` +
        `<text class="count" x="${x + width / 2}" y="${top + height - h - 4}" font-size="11" text-anchor="middle">${n}</text>` +
        `<text x="${x + width / 2}" y="${top + height + 16}" font-size="10" text-anchor="middle">${range}</text></g>`
      );
    })
    .join('');
  const axisY = top + height;
  const right = left + 10 * width;
  const yTicks = [0, max]
    .map(
      (v) =>
        `<text x="${left - 6}" y="${axisY - Math.round((v / max) * height) + 4}" font-size="10" text-anchor="end">${v}</text>`,
    )
    .join('');
  return `<figure><svg role="img" aria-label="Distribution of final scores" width="${right + 20}" height="${axisY + 50}" viewBox="0 0 ${right + 20} ${axisY + 50}">
<text x="${left}" y="16" font-size="13" font-weight="bold">Distribution of final scores (${report.results.length} shown)</text>
<line x1="${left}" y1="${axisY}" x2="${right}" y2="${axisY}" stroke="#444"/><line x1="${left}" y1="${top}" x2="${left}" y2="${axisY}" stroke="#444"/>
${yTicks}${bars}
<text x="${(left + right) / 2}" y="${axisY + 40}" font-size="12" text-anchor="middle">final score (0–100)</text>
<text x="14" y="${top + height / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${top + height / 2})">candidates</text>
</svg></figure>`;
}

/** The columns of the report, each with what it means (shown as a header tooltip and in a legend). */
const COLUMNS: { key: string; title: string; help: string; numeric?: boolean }[] = [
  {
    key: 'rank',
    title: 'Rank',
    numeric: true,
    help: 'Order by final score; ties broken by the unclipped score, then by semantic and domain similarity.',
  },
  { key: 'file', title: 'Resume', help: 'The file, linked: click to open it.' },
  {
    key: 'final',
    title: 'Final',
    numeric: true,
    help: 'semantic × 100 × gate factor, clipped to 0–100. The ranking score.',
  },
  {
    key: 'unclipped',
    title: 'Unclipped',
    numeric: true,
    help: 'The final score before clipping: above 100 for strong in-domain candidates; it breaks ties at 100.',
  },
  {
    key: 'gate',
    title: 'Gate',
    numeric: true,
    help: 'Factor the domain gate applied: the boost when the domain similarity is above the threshold, else the penalty.',
  },
  {
    key: 'semantic',
    title: 'Semantic',
    numeric: true,
    help: 'Cosine similarity of resume and job description with the semantic model (−1 to 1): how well the content matches.',
  },
  {
    key: 'domain',
    title: 'Domain',
    numeric: true,
    help: 'Cosine similarity with the domain model (−1 to 1): whether resume and job are in the same professional field.',
  },
  {
    key: 'flags',
    title: 'Flags',
    help: 'borderline: domain within ±0.05 of the threshold. review: semantic score in the top tenth of this run, yet penalised (a possible career changer).',
  },
  {
    key: 'label',
    title: 'Domain label',
    help: "The resume's nearest professional domain (and the runner-up), with similarities.",
  },
  {
    key: 'evidence',
    title: 'Evidence',
    help: 'The passages of the resume most similar to the job description (semantic model); click to expand.',
  },
];

const TRUNCATED = 'longer than EMBED_MAX_DOCUMENT_TOKENS: ranked on its first tokens only';

function row(r: ScreenedFile): string {
  const link = r.path
    ? `<a href="${escapeHtml(pathToFileURL(r.path).href)}" target="_blank" rel="noopener">${escapeHtml(printable(r.file))}</a>`
    : escapeHtml(printable(r.file));
  const evidence = r.evidence?.length
    ? `<details><summary>${r.evidence.length} passage${r.evidence.length === 1 ? '' : 's'}</summary><ol>${r.evidence
        .map((e) => `<li><span class="sim">${fixed(e.similarity, 3)}</span> ${escapeHtml(e.text)}</li>`)
        .join('')}</ol></details>`
    : '<span class="muted">—</span>';
  const cells = [
    `<td data-v="${r.rank}">${r.rank}</td>`,
    `<td data-v="${escapeHtml(r.file)}">${link}${r.truncated ? ` <span class="muted" title="${TRUNCATED}">first tokens only</span>` : ''}</td>`,
    `<td data-v="${r.final}">${fixed(r.final, 2)}</td>`,
    `<td data-v="${r.unclipped}">${fixed(r.unclipped, 2)}</td>`,
    `<td data-v="${r.gate.factor}" title="${escapeHtml(r.gate.explanation)}">×${r.gate.factor}${r.gate.clipped ? ' <span class="muted">clipped</span>' : ''}</td>`,
    `<td data-v="${r.semantic}">${fixed(r.semantic, 4)}</td>`,
    `<td data-v="${r.domain}">${fixed(r.domain, 4)}</td>`,
    `<td data-v="${r.flags.join(' ')}">${r.flags.map((f) => `<span class="flag ${f}">${f}</span>`).join(' ')}</td>`,
    `<td data-v="${escapeHtml(r.domainLabel?.label ?? '')}">${escapeHtml(labelCell(r.domainLabel))}</td>`,
    `<td class="evidence">${evidence}</td>`,
  ];
  return `<tr>${cells.join('')}</tr>`;
}

function auditSection(report: ScreeningReport): string {
  const a = report.audit;
  if (!a) return '';
  const p = report.params;
  const review = report.results.filter((r) => r.flags.includes('review'));
  const rows: [string, number, string][] = [
    ['Candidates scored', a.candidates, 'every resume with vectors for both models'],
    ['Boosted', a.boosted, `domain similarity above ${p.threshold}: score × ${p.boost}`],
    [
      'Penalised',
      a.penalised,
      p.hardGate ? 'none: the hard gate removes instead' : `at or below ${p.threshold}: score × ${p.penalty}`,
    ],
    [
      'Removed by the hard gate',
      a.removedByGate,
      p.hardGate ? `at or below ${p.threshold}` : 'hard gate off',
    ],
    [
      'Borderline',
      a.borderline,
      `domain similarity within ±0.05 of ${p.threshold}: the gate could go either way`,
    ],
    [
      'To review',
      a.review,
      `semantic score in this run's top tenth (≥ ${a.reviewCutoff === null ? '—' : fixed(a.reviewCutoff, 4)}) yet ${reviewedHow(p)}: possible career changers`,
    ],
  ];
  return `<section id="audit"><h2>Gate audit</h2>
<p>The domain gate multiplies each score by a factor; check that it does not push down people who fit the job from another field (the model card's ethical considerations).</p>
<table class="audit"><tbody>${rows
    .map(
      ([k, n, help]) =>
        `<tr><th scope="row">${k}</th><td class="n">${n}</td><td>${escapeHtml(help)}</td></tr>`,
    )
    .join('')}</tbody></table>
${
  review.length
    ? `<p>To review among those shown: ${review.map((r) => `#${r.rank} ${escapeHtml(r.file)}`).join(', ')}.</p>`
    : ''
}</section>`;
}

/** One self-contained HTML file: what was screened, how to read it, the ranking, the audit, what was skipped. */
function html(report: ScreeningReport): string {
  const title = escapeHtml(printable(report.posting.title));
  const date = new Date(report.date);
  const when = `${date.toISOString().slice(0, 10)} ${date.toISOString().slice(11, 16)} UTC`;
  const p = report.params;
  const warning = usesRandomModels(report)
    ? `<div class="warning" role="alert"><strong>Test models.</strong> ${escapeHtml(RANDOM_MODELS_WARNING.replace(/^these/, 'These'))}.</div>`
    : '';
  const skipped = report.skipped.length
    ? `<section id="skipped"><h2>Skipped files (${report.skipped.length})</h2><ul>${report.skipped
        .map(
          (s) =>
            `<li><strong>${escapeHtml(printable(s.file))}</strong>: ${escapeHtml(reasonText(s.reason))} <span class="muted">(${escapeHtml(s.reason)})</span></li>`,
        )
        .join('')}</ul></section>`
    : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shortlist: ${title}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:1400px}
h1{margin:.2rem 0}.meta{color:#555;margin:.2rem 0}.muted{color:#777}
table{border-collapse:collapse}#ranking th,#ranking td{padding:.3rem .6rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}
#ranking th{cursor:pointer;background:#f3f5f8;white-space:nowrap}#ranking th[aria-sort]::after{content:' ↕';color:#999}
#ranking th[aria-sort=ascending]::after{content:' ▲';color:#333}#ranking th[aria-sort=descending]::after{content:' ▼';color:#333}
#ranking td.num{text-align:right;font-variant-numeric:tabular-nums}
.flag{display:inline-block;padding:0 .4rem;border-radius:.6rem;font-size:12px}.flag.borderline{background:#fff3cd}.flag.review{background:#f8d7da}
.warning{background:#fff3cd;border:2px solid #e0a800;padding:.6rem 1rem;margin:1rem 0;font-size:15px}
.evidence{max-width:36rem}.evidence ol{margin:.3rem 0;padding-left:1.2rem}.sim{font-variant-numeric:tabular-nums;color:#3b6ea5}
dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.legend dt{font-weight:bold}
table.audit th,table.audit td{padding:.2rem .8rem;border-bottom:1px solid #eee;text-align:left}table.audit td.n{text-align:right}
</style></head><body>
<h1>${title}</h1>
<p class="meta">Screened ${when} · ${escapeHtml(rankedLine(report))} · job description: ${escapeHtml(report.posting.file)}${
    report.posting.domainLabel ? ` (domain: ${escapeHtml(labelCell(report.posting.domainLabel))})` : ''
  }</p>
<p class="meta">Models: semantic <code>${escapeHtml(report.models.semantic.name)}</code>, domain <code>${escapeHtml(report.models.domain.name)}</code> · threshold ${p.threshold}, boost ×${p.boost}, penalty ×${p.penalty}${p.hardGate ? ', hard gate on' : ''} · evidence for the best ${report.evidenceTop}</p>
${warning}
${histogram(report)}
<table id="ranking"><thead><tr>${COLUMNS.map(
    (c) =>
      `<th scope="col" data-key="${c.key}"${c.key === 'evidence' ? '' : ' aria-sort="none"'} title="${escapeHtml(c.help)}">${c.title}</th>`,
  ).join('')}</tr></thead>
<tbody>
${report.results.map(row).join('\n')}
</tbody></table>
<section id="legend"><h2>How to read the table</h2><dl class="legend">${COLUMNS.map(
    (c) => `<dt>${c.title}</dt><dd>${escapeHtml(c.help)}</dd>`,
  ).join('')}</dl></section>
${auditSection(report)}
${skipped}
<script>
// Click a column header to sort by it (again to reverse); cells sort by their data-v value, numbers as numbers, and
// equal values keep the ranking's order (reversed with the column).
const NUMERIC = ${JSON.stringify(COLUMNS.filter((c) => c.numeric).map((c) => c.key))};
document.querySelectorAll('#ranking td').forEach((td) => {
  if (NUMERIC.includes(document.querySelectorAll('#ranking th')[td.cellIndex].dataset.key)) td.classList.add('num');
});
document.querySelectorAll('#ranking th[aria-sort]').forEach((th) => th.addEventListener('click', () => {
  const body = document.querySelector('#ranking tbody');
  const up = th.getAttribute('aria-sort') !== 'ascending';
  document.querySelectorAll('#ranking th[aria-sort]').forEach((other) => other.setAttribute('aria-sort', 'none'));
  th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
  const numeric = NUMERIC.includes(th.dataset.key);
  const key = (tr) => { const v = tr.children[th.cellIndex].dataset.v; return numeric ? Number(v) : v; };
  const rank = (tr) => Number(tr.children[0].dataset.v);
  [...body.rows].sort((a, b) => ((key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) || rank(b) - rank(a)) * (up ? 1 : -1)).forEach((tr) => body.appendChild(tr));
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
      return screeningCsv(
        report.results,
        report.skipped.map((s) => ({ status: 'skipped' as const, reason: s.reason, file: s.file })),
      );
    case 'json':
      return `${JSON.stringify(
        {
          posting: report.posting,
          date: report.date,
          models: report.models,
          params: report.params,
          ranked: report.ranked,
          audit: report.audit,
          evidenceTop: report.evidenceTop,
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
