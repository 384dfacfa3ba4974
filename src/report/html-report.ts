/**
 * The run's report, `<results file>.report.html`: one self-contained page (inline CSS and SVG, no
 * script, no network) for someone who has never seen graph-bulk — what happened to the rows, why
 * rows failed (Graph's own messages), how fast it went against the budget, the 429s and pauses, the
 * latency, the retries, the slowest rows, and for a plan what would change, property by property.
 */
import { OUTCOMES, type Outcome } from '../types.js';
import { ReportTally } from './report-tally.js';
import type { RunTimeline } from './run-recorder.js';
import type { JobSummary } from './summary.js';
import { countBars, escapeHtml as e, timeChart } from './svg-chart.js';

/** What {@link renderReport} shows. */
export interface ReportInput {
  summary: JobSummary;
  tally: ReportTally;
  timeline: RunTimeline;
  /** The manifest's path, as given. */
  manifest: string;
  /** A plan (rows read and compared, nothing written). */
  plan?: boolean;
}

const OUTCOME_COLORS: Record<Outcome, string> = {
  updated: '#2e7d32',
  unchanged: '#78909c',
  'not-applied': '#ef6c00',
  failed: '#c62828',
  invalid: '#ad1457',
  skipped: '#8d6e63',
  planned: '#1565c0',
};

const OUTCOME_MEANING: Record<Outcome, string> = {
  updated: 'Graph confirmed the write',
  unchanged: 'the device already had these values: nothing written',
  'not-applied': 'Graph said yes, but reading the device back did not find the values',
  failed: 'Graph refused the write, or it could not be sent',
  invalid: 'the row itself is wrong: never sent',
  skipped: 'not done (the run stopped first): runs again with --resume',
  planned: 'a plan or dry run: what would be sent',
};

const EXIT_MEANING: Record<number, string> = {
  0: 'every row went well',
  1: 'finished, but some rows failed or are invalid',
  2: 'stopped early by an error threshold',
  3: 'could not start: nothing was sent',
  4: 'interrupted',
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1c2833;background:#f4f6f8}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5dbe0;padding-bottom:4px}
.muted{color:#5d6d7e}.card{background:#fff;border:1px solid #d5dbe0;border-radius:6px;padding:14px 16px;margin:10px 0}
.facts{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:10px}
.fact b{display:block;font-size:20px}.exit-0 b{color:#2e7d32}.exit-1 b,.exit-2 b,.exit-3 b,.exit-4 b{color:#c62828}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e5e8eb;vertical-align:top}
th{background:#eef1f4;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
code{font:12px ui-monospace,Consolas,monospace;background:#eef1f4;padding:1px 4px;border-radius:3px;word-break:break-all}
svg.chart{width:100%;height:auto;background:#fff;border:1px solid #d5dbe0;border-radius:6px;margin:6px 0}
.chart-title{font-weight:600;font-size:13px}.tick,.legend{font-size:11px;fill:#5d6d7e}.axis-label{font-size:11px;fill:#5d6d7e}
.grid{stroke:#eef1f4}.axis{stroke:#90a4ae}.reference{stroke:#6a1b9a;stroke-dasharray:5 4}.span{fill:#ffcdd2;opacity:.55}
`;

const n = (v: number) => v.toLocaleString('en-US');
const seconds = (ms: number) =>
  ms < 1000 ? `${Math.round(ms)} ms` : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${n(Math.round(ms / 1000))} s`;

function table(head: string[], rows: string[][], numeric: number[] = []): string {
  if (rows.length === 0) return '<p class="muted">None.</p>';
  return (
    `<table><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>` +
    rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

/**
 * Renders the report page. Every value from the run (messages, paths, keys) is HTML-escaped.
 * @returns the whole HTML document.
 */
export function renderReport(input: ReportInput): string {
  const { summary: s, tally, timeline: t } = input;
  const title = `${input.plan ? 'graph-bulk plan' : 'graph-bulk run'}: ${s.resultsPath ?? input.manifest}`;
  const x = t.seconds.map((b) => b.second);
  const budget = t.budget;
  const pauses = t.pauses;
  const pausedMs = t.pausedMs;
  const outcomes = OUTCOMES.filter((o) => s.byOutcome[o] > 0 || o === 'updated');

  const parts: string[] = [];
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
  );
  // No network at all: nothing may be fetched, not even by a link pasted into a message.
  parts.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`);
  parts.push(`<title>${e(title)}</title><style>${CSS}</style></head><body><main>`);
  parts.push(`<h1>${e(title)}</h1>`);
  parts.push(
    `<p class="muted">Started ${e(t.startedAt)} · manifest <code>${e(input.manifest)}</code>${s.resultsPath ? ` · results <code>${e(s.resultsPath)}</code>` : ''}</p>`,
  );
  parts.push('<div class="facts">');
  parts.push(
    `<div class="card fact exit-${s.exitCode}"><span class="muted">Exit code</span><b>${s.exitCode}</b>${e(EXIT_MEANING[s.exitCode] ?? '')}</div>`,
  );
  parts.push(`<div class="card fact"><span class="muted">Rows</span><b>${n(s.rows)}</b>in the manifest</div>`);
  parts.push(`<div class="card fact"><span class="muted">Duration</span><b>${seconds(s.wallMs)}</b>wall time</div>`);
  parts.push(
    `<div class="card fact"><span class="muted">Writes</span><b>${n(s.writesSent)}</b>${s.writesPerSecond.toFixed(1)}/s, ${n(s.retries)} retries</div>`,
  );
  parts.push(
    `<div class="card fact"><span class="muted">429 Too Many Requests</span><b>${n(s.throttled429)}</b>${n(t.pauseCount)} pauses, ${seconds(pausedMs)} in all</div>`,
  );
  parts.push('</div>');
  if (s.stoppedReason)
    parts.push(`<div class="card"><b>Stopped:</b> ${e(s.stoppedReason)}${s.advice ? `<br><b>What to do:</b> ${e(s.advice)}` : ''}</div>`);

  parts.push('<h2>Outcomes</h2>');
  parts.push(
    countBars(
      'Rows by outcome',
      outcomes.map((o) => ({ label: o, value: s.byOutcome[o], color: OUTCOME_COLORS[o] })),
    ),
  );
  parts.push(
    table(
      ['outcome', 'rows', 'meaning'],
      outcomes.map((o) => [`<b>${o}</b>`, n(s.byOutcome[o]), e(OUTCOME_MEANING[o])]),
      [1],
    ),
  );

  parts.push('<h2>Failed rows by error code</h2>');
  const groups = [...tally.failed.values()].sort((a, b) => b.count - a.count);
  parts.push(
    table(
      ['error code', 'rows', 'HTTP', "Graph's message", 'first rows'],
      groups.map((g) => [
        `<code>${e(g.code)}</code>`,
        n(g.count),
        g.httpStatus !== undefined ? String(g.httpStatus) : '',
        g.messages.map((m) => e(m)).join('<br>'),
        g.rows.join(', '),
      ]),
      [1],
    ),
  );

  parts.push('<h2>Invalid rows by reason</h2>');
  parts.push(
    table(
      ['reason (values shown as …)', 'rows'],
      ReportTally.sorted(tally.invalid).map(([r, c]) => [e(r), n(c)]),
      [1],
    ),
  );

  if (input.plan || tally.changes.size > 0) {
    parts.push('<h2>Changes by property</h2>');
    parts.push(
      table(
        ['change', 'rows'],
        ReportTally.sorted(tally.changes).map(([c, k]) => [`<code>${e(c)}</code>`, n(k)]),
        [1],
      ),
    );
  }

  parts.push('<h2>Pace</h2>');
  const refill = budget ? budget.refillPerSecond : undefined;
  parts.push(
    timeChart(
      {
        title: 'Writes per second and 429s',
        yLabel: 'per second',
        x,
        step: t.bucketSeconds,
        spans: pauses.map((p) => ({ from: p.atMs / 1000, to: (p.atMs + p.ms) / 1000, label: `paused ${seconds(p.ms)} (Retry-After)` })),
        ...(refill !== undefined ? { reference: { value: refill, label: `budget refill ${refill}/s` } } : {}),
      },
      [
        { name: 'writes/s', color: '#1565c0', values: t.seconds.map((b) => b.writes), bars: true },
        { name: '429s', color: '#c62828', values: t.seconds.map((b) => b.throttled) },
      ],
    ),
  );
  parts.push(
    timeChart({ title: 'Latency', yLabel: 'ms', x, step: t.bucketSeconds }, [
      { name: 'median', color: '#2e7d32', values: t.seconds.map((b) => b.latencyMedianMs) },
      { name: 'slowest', color: '#ef6c00', values: t.seconds.map((b) => b.latencyMaxMs) },
    ]),
  );
  parts.push(
    timeChart({ title: 'Retries and failures', yLabel: 'rows per second', x, step: t.bucketSeconds }, [
      { name: 'retries', color: '#6a1b9a', values: t.seconds.map((b) => b.retries), bars: true },
      { name: 'failed', color: '#c62828', values: t.seconds.map((b) => b.failed), bars: true },
    ]),
  );

  parts.push('<h2>Budget and pauses</h2>');
  parts.push(
    `<div class="card">${
      budget === false
        ? 'Writes were not paced (no write budget); 429s were still honoured.'
        : budget
          ? `Writes were paced to a budget of a burst of <b>${n(budget.burst)}</b> writes refilled at <b>${budget.refillPerSecond}</b> writes/s (Graph's own for devices: 3,000 per 150 s per app per tenant).`
          : 'No write budget information.'
    } ${t.pauseCount ? `Graph asked for <b>${n(t.pauseCount)}</b> pauses (Retry-After), <b>${seconds(pausedMs)}</b> in all.` : 'Graph asked for no pause.'}</div>`,
  );
  if (pauses.length) {
    parts.push(
      table(
        ['at (since the start)', 'paused for'],
        pauses.slice(0, 20).map((p) => [seconds(p.atMs), seconds(p.ms)]),
        [0, 1],
      ),
    );
    if (t.pauseCount > 20) parts.push(`<p class="muted">… and ${n(t.pauseCount - 20)} more pauses.</p>`);
  }

  parts.push('<h2>Slowest rows</h2>');
  parts.push(
    table(
      ['row', 'device', 'time from first send to result', 'attempts'],
      t.slowRows.map((r) => [String(r.row), `<code>${e(r.key)}</code>`, seconds(r.ms), String(r.attempts)]),
      [0, 2, 3],
    ),
  );
  parts.push(`<p class="muted">Written by graph-bulk at the end of the run. This page loads nothing from the network.</p>`);
  parts.push('</main></body></html>\n');
  return parts.join('\n');
}

/** The report's file name for a results file: `<results file>.report.html`. */
export function reportPathFor(resultsPath: string): string {
  return `${resultsPath}.report.html`;
}
