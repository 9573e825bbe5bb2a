/**
 * Draws the cost curves' measurements (bench/curves.ts) as SVG files in bench/charts/, one chart per metric and sweep,
 * one line per system, and writes bench/charts/curves.json (the numbers, when and under what load) so bench/run.ts
 * can link the charts from RESULTS.md with the run they came from.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, sizeOf } from './lib.ts';
import { chart, type Series } from './svg-chart.ts';

export interface Point {
  perSecond: number;
  p50: number;
  p99: number;
}

export interface CurvesData {
  size: Array<{
    x: number;
    ours: { p50: number; p99: number; perSecond: number; start: number; rss: number };
    conf: { p50: number; p99: number; perSecond: number; start: number; rss: number };
    bare: { p50: number; p99: number; perSecond: number };
  }>;
  clients: Array<{ x: number; ours: Point; bare: Point }>;
  history: Array<{ x: number; records: number; journalBytes: number; ours: { p50: number; p99: number; start: number; rss: number } }>;
}

export const CHARTS_DIR = path.join(ROOT, 'bench', 'charts');
const COLOR = { ours: '#1f6fb4', conf: '#d62728', bare: '#2a9d3a' };
const NAME = { ours: 'electron-store-daemon', conf: 'conf (electron-store)', bare: 'bare pipeline' };

function msLabel(v: number): string {
  if (v >= 1000) return `${v / 1000} s`;
  if (v >= 1) return `${v} ms`;
  return `${Number((v * 1000).toPrecision(3))} µs`;
}

function rateLabel(v: number): string {
  return v >= 1000 ? `${v / 1000} k/s` : `${v}/s`;
}

function mbLabel(v: number): string {
  return `${v} MB`;
}

type System = keyof typeof COLOR;
function line<P>(sys: System, what: string, points: P[], x: (p: P) => number, y: (p: P) => number, dashed = false): Series {
  return { name: `${NAME[sys]}${what ? `, ${what}` : ''}`, color: COLOR[sys], dashed, points: points.map((p) => [x(p), y(p)]) };
}

/** Writes every chart; returns the file names (relative to bench/charts). */
export function drawCurves(data: CurvesData): string[] {
  fs.mkdirSync(CHARTS_DIR, { recursive: true });
  const load = `load average ${os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs at the end of the run`;
  const sizeX = { label: 'store size', ticks: data.size.map((p): [number, string] => [p.x, sizeOf(p.x)]) };
  const clientX = { label: 'clients, each awaiting its write (1 MB store)', ticks: data.clients.map((p): [number, string] => [p.x, String(p.x)]) };
  const histX = { label: 'history.maxEntries (1 MB store; journal bytes kept: bench/charts/curves.json)', ticks: data.history.map((p): [number, string] => [p.x, p.x.toLocaleString('en-US')]) };
  const s = data.size;
  const c = data.clients;
  const h = data.history;
  const x = (p: { x: number }) => p.x;
  const files: Record<string, string> = {
    'size-round-trip.svg': chart({
      title: 'Durable write round trip vs store size', subtitle: `one writer, awaited writes; ${load}`,
      x: sizeX, y: { label: 'round trip', log: true, format: msLabel },
      series: [
        line('ours', 'p50', s, x, (p) => p.ours.p50), line('ours', 'p99', s, x, (p) => p.ours.p99, true),
        line('conf', 'p50', s, x, (p) => p.conf.p50), line('conf', 'p99', s, x, (p) => p.conf.p99, true),
        line('bare', 'p50', s, x, (p) => p.bare.p50), line('bare', 'p99', s, x, (p) => p.bare.p99, true),
      ],
    }),
    'size-writes.svg': chart({
      title: 'Durable writes per second vs store size', subtitle: `8 clients awaiting each write (conf: one writer); ${load}`,
      x: sizeX, y: { label: 'writes/s', log: true, format: rateLabel },
      series: [line('ours', '', s, x, (p) => p.ours.perSecond), line('conf', '', s, x, (p) => p.conf.perSecond), line('bare', '', s, x, (p) => p.bare.perSecond)],
    }),
    'size-start.svg': chart({
      title: 'Start to first read vs store size', subtitle: `median of 3 fresh starts (2 at 100 MB), with schema for ours; ${load}`,
      x: sizeX, y: { label: 'start to first read', log: true, format: msLabel },
      series: [line('ours', '', s, x, (p) => p.ours.start), line('conf', '', s, x, (p) => p.conf.start)],
    }),
    'size-rss.svg': chart({
      title: 'Process memory (RSS) vs store size', subtitle: `fresh node process holding the store open, after a full GC; ${load}`,
      x: sizeX, y: { label: 'RSS', log: true, format: mbLabel },
      series: [line('ours', 'daemon + client cache', s, x, (p) => p.ours.rss / 1024 / 1024), line('conf', '', s, x, (p) => p.conf.rss / 1024 / 1024)],
    }),
    'clients-writes.svg': chart({
      title: 'Durable writes per second vs clients', subtitle: `every client awaits each write; 1 MB store; ${load}`,
      x: clientX, y: { label: 'writes/s', log: false, format: rateLabel },
      series: [line('ours', '', c, x, (p) => p.ours.perSecond), line('bare', '', c, x, (p) => p.bare.perSecond)],
    }),
    'clients-round-trip.svg': chart({
      title: 'Write round trip vs clients', subtitle: `every client awaits each write; 1 MB store; ${load}`,
      x: clientX, y: { label: 'round trip', log: true, format: msLabel },
      series: [
        line('ours', 'p50', c, x, (p) => p.ours.p50), line('ours', 'p99', c, x, (p) => p.ours.p99, true),
        line('bare', 'p50', c, x, (p) => p.bare.p50), line('bare', 'p99', c, x, (p) => p.bare.p99, true),
      ],
    }),
    'history-round-trip.svg': chart({
      title: 'Write round trip vs retained history', subtitle: `one writer, awaited writes; ${load}`,
      x: histX, y: { label: 'round trip', log: true, format: msLabel },
      series: [line('ours', 'p50', h, x, (p) => p.ours.p50), line('ours', 'p99', h, x, (p) => p.ours.p99, true)],
    }),
    'history-start-rss.svg': chart({
      title: 'Start time and memory vs retained history', subtitle: `start: median of 3 fresh starts; RSS: fresh process; ${load}`,
      x: histX, y: { label: 'ms (start) · MB (RSS)', log: true, format: (v) => String(v) },
      series: [line('ours', 'start (ms)', h, x, (p) => p.ours.start), { ...line('ours', 'RSS (MB)', h, x, (p) => p.ours.rss / 1024 / 1024, true), color: '#7b4fa0' }],
    }),
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(CHARTS_DIR, name), text);
  fs.writeFileSync(path.join(CHARTS_DIR, 'curves.json'), `${JSON.stringify({ date: new Date().toISOString(), load: os.loadavg(), data }, undefined, 2)}\n`);
  return Object.keys(files);
}
