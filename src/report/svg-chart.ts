/**
 * Small SVG charts generated as text, for the self-contained HTML report: no script, no network.
 * Every value is escaped; the charts scale to their container (`viewBox`).
 */

/** One line or bar series. */
export interface Series {
  name: string;
  color: string;
  values: readonly number[];
  /** Draw as bars (default: a line). */
  bars?: boolean;
}

/** Options of {@link timeChart}. */
export interface ChartOptions {
  title: string;
  /** Label of the y axis (unit). */
  yLabel: string;
  /** x positions in seconds (same length as each series): the start of each slice. */
  x: readonly number[];
  /** Length of one slice, s (bars span it). Default 1. */
  step?: number;
  /** Shaded spans on the x axis (seconds), e.g. pauses. */
  spans?: ReadonlyArray<{ from: number; to: number; label: string }>;
  /** A horizontal reference line, e.g. the budget's refill rate. */
  reference?: { value: number; label: string };
}

/** `&`, `<`, `>`, `"`, `'` escaped for HTML/SVG text and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const W = 720;
const H = 240;
const M = { left: 56, right: 16, top: 28, bottom: 36 };

/** A round upper bound for an axis: 1, 2 or 5 × a power of ten, at least `max`. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${Math.round(v / 100) / 10}k` : String(Math.round(v * 10) / 10));

/**
 * A chart over the run's seconds: lines and/or bars, axes with ticks, a legend, shaded spans and a
 * reference line. Returns an `<svg>` element as text (`role="img"`, titled for screen readers).
 */
export function timeChart(o: ChartOptions, series: readonly Series[]): string {
  const n = o.x.length;
  const step = o.step ?? 1;
  const xMax = Math.max(step, (o.x[n - 1] ?? 0) + step);
  const yMax = niceMax(Math.max(0, o.reference?.value ?? 0, ...series.flatMap((s) => s.values)));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const X = (x: number) => M.left + (x / xMax) * pw;
  const Y = (y: number) => M.top + ph - (y / yMax) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(o.title)}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<title>${escapeHtml(o.title)}</title>`);
  parts.push(`<text x="${M.left}" y="16" class="chart-title">${escapeHtml(o.title)}</text>`);
  for (const s of o.spans ?? []) {
    const x0 = X(Math.max(0, s.from));
    const x1 = X(Math.min(xMax, s.to));
    parts.push(
      `<rect class="span" x="${x0.toFixed(1)}" y="${M.top}" width="${Math.max(1, x1 - x0).toFixed(1)}" height="${ph}"><title>${escapeHtml(s.label)}</title></rect>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = Y(v).toFixed(1);
    parts.push(`<line class="grid" x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5;
    parts.push(`<text class="tick" x="${X(v).toFixed(1)}" y="${H - M.bottom + 16}" text-anchor="middle">${fmt(v)} s</text>`);
  }
  parts.push(
    `<text class="axis-label" x="14" y="${M.top + ph / 2}" transform="rotate(-90 14 ${M.top + ph / 2})" text-anchor="middle">${escapeHtml(o.yLabel)}</text>`,
  );
  const barSeries = series.filter((s) => s.bars);
  const slot = (step / xMax) * pw;
  const barWidth = Math.max(1, (slot * 0.8) / Math.max(1, barSeries.length));
  barSeries.forEach((s, k) => {
    const rects = s.values
      .map((v, i) =>
        v > 0
          ? `<rect x="${(X(o.x[i]!) + slot * 0.1 + k * barWidth).toFixed(1)}" y="${Y(v).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(Y(0) - Y(v)).toFixed(1)}"/>`
          : '',
      )
      .join('');
    parts.push(`<g class="series bars" fill="${s.color}" data-series="${escapeHtml(s.name)}">${rects}</g>`);
  });
  for (const s of series.filter((x) => !x.bars)) {
    const points = s.values.map((v, i) => `${X(o.x[i]! + step / 2).toFixed(1)},${Y(v).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline class="series line" data-series="${escapeHtml(s.name)}" fill="none" stroke="${s.color}" stroke-width="2" points="${points}"/>`,
    );
  }
  if (o.reference) {
    const y = Y(o.reference.value).toFixed(1);
    parts.push(`<line class="reference" x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${W - M.right}" y="${Number(y) - 4}" text-anchor="end">${escapeHtml(o.reference.label)}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}"/>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${W - M.right}" y1="${M.top + ph}" y2="${M.top + ph}"/>`);
  let lx = W - M.right - series.reduce((sum, s) => sum + 24 + s.name.length * 7, 0); // right-aligned, clear of the title
  for (const s of series) {
    parts.push(
      `<rect x="${lx}" y="8" width="10" height="10" fill="${s.color}"/><text class="legend" x="${lx + 14}" y="17">${escapeHtml(s.name)}</text>`,
    );
    lx += 24 + s.name.length * 7;
  }
  parts.push('</svg>');
  return parts.join('');
}

/** A horizontal bar chart of labelled counts (outcomes, error codes), as an `<svg>` element. */
export function countBars(title: string, items: ReadonlyArray<{ label: string; value: number; color: string }>): string {
  const rowH = 26;
  const h = 30 + rowH * Math.max(1, items.length);
  const max = Math.max(1, ...items.map((i) => i.value));
  const labelW = 170;
  const barMax = W - labelW - 80;
  const rows = items.map((item, i) => {
    const y = 30 + i * rowH;
    const w = Math.max(item.value > 0 ? 2 : 0, (item.value / max) * barMax);
    return (
      `<text class="tick" x="${labelW - 8}" y="${y + 13}" text-anchor="end">${escapeHtml(item.label)}</text>` +
      `<rect class="count-bar" x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${item.color}"/>` +
      `<text class="tick" x="${labelW + w + 6}" y="${y + 13}">${item.value}</text>`
    );
  });
  return (
    `<svg class="chart" viewBox="0 0 ${W} ${h}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${escapeHtml(title)}</title><text x="8" y="16" class="chart-title">${escapeHtml(title)}</text>${rows.join('')}</svg>`
  );
}
