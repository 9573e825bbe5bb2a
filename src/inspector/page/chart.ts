import { h } from './dom.ts';

const SVG = 'http://www.w3.org/2000/svg';

/** One line of a chart. */
export interface Series {
  label: string;
  color: string;
  values: number[];
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A small line chart of recent samples (oldest left), its scale from 0 to the largest value shown. */
export function lineChart(title: string, series: Series[], format: (n: number) => string, testid: string): HTMLElement {
  const width = 260;
  const height = 70;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const max = Math.max(1e-9, ...series.flatMap((s) => s.values));
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'chart' });
  root.appendChild(svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'axis' }));
  for (const s of series) {
    if (s.values.length === 0) continue;
    const points = s.values.map((v, i) => `${((i + n - s.values.length) / (n - 1)) * width},${height - 2 - (v / max) * (height - 6)}`);
    root.appendChild(svg('polyline', { points: points.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 1.5 }));
  }
  const legend = h('div', { class: 'legend' }, ...series.map((s) => h('span', { attrs: { style: `color:${s.color}` } },
    `${s.label} ${s.values.length > 0 ? format(s.values[s.values.length - 1]) : '–'}`)));
  return h('figure', { testid }, h('figcaption', {}, title, ' ', h('span', { class: 'muted' }, `(max ${format(max)})`)), root, legend);
}
