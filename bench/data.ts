/**
 * Deterministic, realistic store documents for the benchmarks: an app's nested settings plus an array of task records,
 * grown to a target size (as conf writes it: JSON with tab indentation). Same seed, same bytes, every run.
 */

/** A task record as an app would keep it. */
export interface Task {
  id: string;
  title: string;
  done: boolean;
  priority: number;
  tags: string[];
  created: string;
  updated: string;
  notes: string;
  assignee: { id: string; name: string } | null;
  subtasks: Array<{ title: string; done: boolean }>;
}

export interface BenchDoc {
  settings: Record<string, unknown>;
  tasks: Task[];
  [key: string]: unknown;
}

/** mulberry32: a tiny seeded PRNG, so documents are identical across runs and machines. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('review update design release fix draft plan meeting report budget invoice client server build deploy test ' +
  'migrate refactor document onboarding roadmap sprint backlog feature bug crash login sync export import backup theme ' +
  'window editor shortcut settings profile avatar upload download cache index search filter sort archive').split(' ');
const NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia'];
const TAGS = ['work', 'home', 'urgent', 'later', 'waiting', 'idea', 'bug', 'docs', 'ops', 'design'];

function words(r: () => number, n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)]);
  return out.join(' ');
}

function isoAt(r: () => number): string {
  return new Date(Date.UTC(2024, 0, 1) + Math.floor(r() * 400 * 86_400_000)).toISOString();
}

/** Nested app settings (~4 KB): window, editor, shortcuts, recent files, sync. */
export function makeSettings(r = rng(1)): Record<string, unknown> {
  const shortcuts: Record<string, string> = {};
  for (let i = 0; i < 40; i++) shortcuts[`command.${WORDS[i % WORDS.length]}${i}`] = `CmdOrCtrl+Shift+${String.fromCharCode(65 + (i % 26))}`;
  return {
    theme: 'auto',
    fontSize: 14,
    language: 'en-US',
    window: { width: 1280, height: 800, x: 120, y: 80, maximized: false },
    editor: { tabSize: 2, wordWrap: true, fontFamily: 'JetBrains Mono', rulers: [80, 120], minimap: { enabled: true, scale: 1 } },
    recentFiles: Array.from({ length: 20 }, (_, i) => `/Users/ada/Documents/projects/${words(r, 2).replace(/ /g, '-')}-${i}.md`),
    shortcuts,
    sync: { enabled: true, intervalSec: 300, lastSync: isoAt(r), endpoint: 'https://sync.example.com/v2' },
    telemetry: { enabled: false, level: 'basic' },
    counter: 0,
  };
}

function makeTask(r: () => number, i: number): Task {
  const created = isoAt(r);
  return {
    id: `t-${String(i).padStart(6, '0')}`,
    title: words(r, 3 + Math.floor(r() * 5)),
    done: r() < 0.4,
    priority: 1 + Math.floor(r() * 4),
    tags: Array.from({ length: Math.floor(r() * 3) }, () => TAGS[Math.floor(r() * TAGS.length)]),
    created,
    updated: created,
    notes: words(r, 10 + Math.floor(r() * 30)),
    assignee: r() < 0.7 ? { id: `u-${Math.floor(r() * 50)}`, name: NAMES[Math.floor(r() * NAMES.length)] } : null,
    subtasks: Array.from({ length: Math.floor(r() * 4) }, () => ({ title: words(r, 3), done: r() < 0.5 })),
  };
}

/** conf's file format: JSON with tab indentation. Sizes below are of this text. */
export function serialized(doc: unknown): string {
  return JSON.stringify(doc, undefined, '\t');
}

/** A document of about `targetBytes` (as conf serializes it): settings plus as many task records as fit. */
export function makeDocument(targetBytes: number, seed = 42): BenchDoc {
  const r = rng(seed);
  const settings = makeSettings(r);
  const tasks: Task[] = [];
  let bytes = serialized({ settings, tasks: [] }).length;
  while (bytes < targetBytes) {
    const task = makeTask(r, tasks.length);
    // Each record adds its own text plus one more indentation level per line and a separating comma.
    const text = JSON.stringify(task, undefined, '\t');
    bytes += text.length + (text.match(/\n/g)?.length ?? 0) + 4;
    tasks.push(task);
  }
  return { settings, tasks };
}

/** The JSON Schema an app would ship for this document (ajv; conf gets its `properties`). */
export const benchSchema = {
  type: 'object',
  properties: {
    settings: {
      type: 'object',
      properties: {
        theme: { enum: ['auto', 'dark', 'light'] },
        fontSize: { type: 'number', minimum: 6, maximum: 72 },
        language: { type: 'string' },
        window: {
          type: 'object',
          properties: {
            width: { type: 'integer', minimum: 100 }, height: { type: 'integer', minimum: 100 },
            x: { type: 'integer' }, y: { type: 'integer' }, maximized: { type: 'boolean' },
          },
        },
        editor: { type: 'object' },
        recentFiles: { type: 'array', items: { type: 'string' }, maxItems: 50 },
        shortcuts: { type: 'object', additionalProperties: { type: 'string' } },
        sync: { type: 'object' },
        telemetry: { type: 'object' },
        counter: { type: 'integer', minimum: 0 },
      },
    },
    tasks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'title', 'done'],
        properties: {
          id: { type: 'string' },
          title: { type: 'string', maxLength: 500 },
          done: { type: 'boolean' },
          priority: { type: 'integer', minimum: 1, maximum: 4 },
          tags: { type: 'array', items: { type: 'string' } },
          created: { type: 'string', format: 'date-time' },
          updated: { type: 'string', format: 'date-time' },
          notes: { type: 'string' },
          assignee: { anyOf: [{ type: 'null' }, { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } }] },
          subtasks: { type: 'array', items: { type: 'object', properties: { title: { type: 'string' }, done: { type: 'boolean' } } } },
        },
      },
    },
  },
} as const;

/**
 * The i-th write of a benchmark: a realistic mix of small changes an app makes (a window size, a task ticked off, a
 * task renamed, a task reassigned). Every one is valid under `benchSchema` and keeps the document's size constant.
 */
export function writeFor(i: number, taskCount: number): [key: string, value: unknown] {
  switch (i % 4) {
    case 0:
      return ['settings.window.width', 800 + (i % 400)];
    case 1:
      return [`tasks.${(i * 7) % taskCount}.done`, i % 8 < 4];
    case 2:
      return [`tasks.${(i * 13) % taskCount}.title`, `${WORDS[i % WORDS.length]} task ${i % 1000}`];
    default:
      return [`tasks.${(i * 31) % taskCount}.assignee`, { id: `u-${i % 50}`, name: NAMES[i % NAMES.length] }];
  }
}

/** The store sizes every size-dependent figure is measured at. */
export const SIZES = [
  { label: '10 KB', bytes: 10 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
  { label: '10 MB', bytes: 10 * 1024 * 1024 },
] as const;
export type SizeLabel = (typeof SIZES)[number]['label'];
