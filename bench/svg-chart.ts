/**
 * A small line chart as standalone SVG text, for the cost curves (bench/curves.ts): log-scale x axis, log or linear y
 * axis, labelled axes, a legend, one line per series. No browser, no dependency — the charts are committed files a
 * reader opens on GitHub, so the output is plain SVG 1.1 with the styles inline.
 */

export interface Series {
  name: string;
  /** [x, y] points; a missing y (NaN) breaks the line there. */
  points: Array<[number, number]>;
  color: string;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  x: { label: string; ticks: Array<[number, string]> };
  y: { label: string; log: boolean; format: (v: number) => string };
  series: Series[];
  /** One line under the title (the load, what was capped). */
  subtitle?: string;
}

const PLOT_W = 520;
const H = 420;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1-2-5 ticks per decade on a log axis (fewer when the range spans many decades), or ~6 round ticks on a linear one. */
function yTicks(lo: number, hi: number, log: boolean): number[] {
  if (!log) {
    const step = 10 ** Math.floor(Math.log10((hi - lo) / 5 || 1));
    const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
    const out: number[] = [];
    for (let v = Math.ceil(lo / nice) * nice; v <= hi + nice * 1e-9; v += nice) out.push(v);
    return out;
  }
  const decades = Math.log10(hi / lo);
  const mult = decades > 4 ? [1] : decades > 2 ? [1, 3] : [1, 2, 5];
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mult) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

/** The chart as an SVG document. */
export function chart(spec: ChartSpec): string {
  // The legend sits right of the plot: room for its longest name (about 7 px a character at 12 px Helvetica).
  const M = { left: 78, right: 60 + 7 * Math.max(0, ...spec.series.map((s) => s.name.length)), top: 58, bottom: 56 };
  const W = M.left + PLOT_W + M.right;
  const xs = spec.x.ticks.map(([v]) => v);
  const ys = spec.series.flatMap((s) => s.points.map(([, y]) => y)).filter((y) => Number.isFinite(y) && (!spec.y.log || y > 0));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = ys.length > 0 ? [Math.min(...ys), Math.max(...ys)] : [1, 10];
  if (spec.y.log) {
    // Pad to whole decades so every line sits inside the frame with a tick above and below it.
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1 * 1.0001));
  } else {
    y0 = Math.min(0, y0);
    y1 = y1 * 1.1 || 1;
  }
  const pw = PLOT_W;
  const ph = H - M.top - M.bottom;
  const px = (x: number) => M.left + (x1 === x0 ? pw / 2 : ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw);
  const py = (y: number) => M.top + ph - (spec.y.log ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="22" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  if (spec.subtitle) out.push(`<text x="${M.left}" y="40" fill="#555">${esc(spec.subtitle)}</text>`);
  // Grid and tick labels.
  for (const v of yTicks(y0, y1, spec.y.log)) {
    const y = py(v).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#333">${esc(spec.y.format(v))}</text>`);
  }
  for (const [v, label] of spec.x.ticks) {
    const x = px(v).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ph}" stroke="#eeeeee"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle" fill="#333">${esc(label)}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.x.label)} (log scale)</text>`);
  const yl = `${spec.y.label}${spec.y.log ? ' (log scale)' : ''}`;
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yl)}</text>`);
  // Lines, broken where a value is missing, with a dot on every measured point.
  for (const s of spec.series) {
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${run.join(' ')}"/>`);
      run = [];
    };
    for (const [x, y] of s.points) {
      if (!Number.isFinite(y) || (spec.y.log && y <= 0)) {
        flush();
        continue;
      }
      run.push(`${px(x).toFixed(1)},${py(y).toFixed(1)}`);
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
    }
    flush();
  }
  // Legend, right of the plot.
  spec.series.forEach((s, i) => {
    const y = M.top + 10 + i * 20;
    const x = M.left + pw + 14;
    out.push(`<line x1="${x}" x2="${x + 26}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${x + 32}" y="${y}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
