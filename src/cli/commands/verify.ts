import fs from 'node:fs';
import path from 'node:path';
import { DocumentValidator } from '../../daemon/features/validator.ts';
import { parseRecord } from '../../daemon/storage/segment-files.ts';
import type { JsonObject } from '../../protocol/types.ts';
import type { CliContext } from '../context.ts';
import { findStores, requireStore, StoreFiles } from '../folder.ts';
import { Lens, containsSealed } from '../sealed.ts';
import { readView } from '../view.ts';

export interface StoreVerdict {
  name: string;
  ok: boolean;
  /** What is damaged or inconsistent; any problem makes the exit code 1. */
  problems: string[];
  /** What is worth knowing but not damage (evidence kept aside, a pending hand edit, checks skipped). */
  notes: string[];
  checked: { rev: number; checkpoint: 'ok' | 'missing' | 'bad'; segments: number; records: number; backups: number; schema: boolean };
}

type Issue = { instancePath: string; message?: string };

/**
 * `verify <folder> [store]`: reads every file of each store without the lock and reports what the daemon would
 * trip over — a checkpoint that does not parse (or fit the schema, with --stores), revs missing between the
 * checkpoint and the journal, journal records that are unreadable, torn or out of sequence, records that do not apply,
 * backups whose hash, JSON or schema fail. Exit code 0 only when there is no problem.
 */
export function verify(ctx: CliContext): number {
  const [only] = ctx.args;
  if (only !== undefined) requireStore(ctx.folder, only);
  const names = only !== undefined ? [only] : findStores(ctx.folder);
  const verdicts = names.map((name) => verifyStore(ctx, name));
  const problems = verdicts.reduce((n, v) => n + v.problems.length, 0);
  const ok = names.length > 0 && problems === 0;
  ctx.out.result({ folder: ctx.folder, ok, stores: verdicts }, () => {
    if (names.length === 0) return `No stores in ${ctx.folder}: nothing to verify (is it the app's store folder?).`;
    const lines: string[] = [];
    for (const v of verdicts) {
      const c = v.checked;
      lines.push(`${v.ok ? 'ok  ' : 'FAIL'}  ${v.name}: rev ${c.rev}, checkpoint ${c.checkpoint}, ${c.segments} journal segment(s) (${c.records} records), ${c.backups} backup(s)${c.schema ? ', schema checked' : ''}`);
      for (const p of v.problems) lines.push(`      problem: ${p}`);
      for (const n of v.notes) lines.push(`      note: ${n}`);
    }
    lines.push(ok ? 'All is well.' : `${problems} problem(s) in ${verdicts.filter((v) => !v.ok).length} store(s).`);
    return lines.join('\n');
  });
  return ok ? 0 : 1;
}

function verifyStore(ctx: CliContext, name: string): StoreVerdict {
  const problems: string[] = [];
  const notes: string[] = [];
  const def = ctx.defs.get(name);
  const lens = new Lens(name, ctx.key);
  let validator: DocumentValidator | undefined;
  if (def?.schema !== undefined) {
    try {
      validator = new DocumentValidator(def.schema);
    } catch (error) {
      problems.push(`the schema in the stores module does not compile: ${(error as Error).message}`);
    }
  }
  let schemaSkipped = false;
  /** Schema issues of a document as stored (sealed values opened with the key first). */
  const schemaIssues = (doc: JsonObject): Issue[] => {
    if (!validator) return [];
    if (!lens.canDecrypt && containsSealed(doc)) {
      schemaSkipped = true;
      return [];
    }
    try {
      return validator.validateAll(lens.show(doc));
    } catch (error) {
      return [{ instancePath: '', message: `cannot be checked: ${(error as Error).message}` }];
    }
  };
  const describe = (issues: Issue[]) => issues.slice(0, 5).map((i) => `${i.instancePath || '(root)'} ${i.message}`).join('; ') + (issues.length > 5 ? `; and ${issues.length - 5} more` : '');
  const files = new StoreFiles(ctx.folder, name, { validate: (doc) => schemaIssues(doc) });
  const lock = files.lock();
  if (lock.held) notes.push(`the app is running${lock.pid ? ` (pid ${lock.pid})` : ''}: read without the lock, so a write under way may show as a torn record`);

  // 1. The checkpoint.
  ctx.out.progress(`verify ${name}: checkpoint`);
  const cp = files.readCheckpoint();
  const hasHistory = files.journal.exists() || files.backups.count() > 0;
  if (cp.state === 'missing') {
    (hasHistory ? problems : notes).push(`${name}.json is missing${hasHistory ? ' (the app rebuilds it from backups and the journal at its next start)' : ''}`);
  } else if (cp.state === 'bad') {
    problems.push(`${name}.json cannot be used: ${cp.reason}`);
  } else {
    if (cp.shape) problems.push(`${name}.json cannot be used: ${cp.shape}`);
    try {
      lens.show(cp.doc);
    } catch (error) {
      problems.push(`${name}.json: ${(error as Error).message}`);
    }
    if (files.checkpoint.wrote(cp.text) === false) notes.push(`${name}.json was edited by hand while the app was closed; the app applies the edit at its next start (or rejects it if it does not fit)`);
  }

  // 2. The journal: every segment, line by line.
  const journal = checkJournal(files, problems, notes, (line) => ctx.out.progress(`verify ${name}: ${line}`));
  if (journal.firstRev !== undefined && journal.firstRev > cp.rev + 1) {
    problems.push(`revs ${cp.rev + 1}…${journal.firstRev - 1} are in neither ${name}.json (rev ${cp.rev}) nor the journal (from rev ${journal.firstRev})`);
  }

  // 3. The records after the checkpoint apply to it, and the result fits the schema.
  let rev = cp.rev;
  if (cp.state !== 'bad') {
    try {
      const v = readView(files);
      rev = v.rev;
      if (journal.problems === 0) problems.push(...v.problems.filter((p) => p.includes('does not apply')));
      const issues = schemaIssues(v.doc);
      if (issues.length > 0) problems.push(`the document at rev ${v.rev} does not match the schema: ${describe(issues)}`);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }

  // 4. Backups: hash, JSON and schema of each (BackupFiles.verify), and metadata without a backup.
  const backups = files.backups.list();
  backups.forEach((b, i) => {
    ctx.out.progress(`verify ${name}: backup ${i + 1}/${backups.length} ${b.id}`);
    const result = files.backups.verify(b.id);
    for (const p of result.problems) problems.push(`backup ${b.id}: ${p}`);
    // With the key (and no schema to check, which opens them already): the sealed values open.
    if (result.ok && lens.canDecrypt && !validator) {
      try {
        lens.show(files.backups.read(b.id).doc);
      } catch (error) {
        problems.push(`backup ${b.id}: ${(error as Error).message}`);
      }
    }
  });
  checkBackupLeftovers(files, new Set(backups.map((b) => b.id)), problems, notes);

  for (const e of files.evidence()) notes.push(`kept aside as evidence: ${e}`);
  if (schemaSkipped) notes.push('encrypted values were not checked against the schema; pass --key-file to check them');
  if (!validator && def === undefined && ctx.defs.size === 0) notes.push('no schema check: pass --stores <module> to check documents and backups against the schema');
  return {
    name, ok: problems.length === 0, problems, notes,
    checked: { rev, checkpoint: cp.state, segments: journal.segments, records: journal.records, backups: backups.length, schema: validator !== undefined },
  };
}

/**
 * Reads each segment as the daemon would replay it: one JSON record a line, revs contiguous from the segment's name
 * on and from one segment to the next. Records a segment holds at or past the next segment's first rev are
 * leftovers of an append that failed (the daemon ignores them: a note, not a problem).
 */
function checkJournal(files: StoreFiles, problems: string[], notes: string[], progress: (line: string) => void) {
  const segs = files.journal.segments();
  const before = problems.length;
  let records = 0;
  let prevEnd: { file: string; rev: number } | undefined;
  segs.forEach((seg, s) => {
    const file = path.basename(seg.file);
    progress(`journal segment ${s + 1}/${segs.length} ${file}`);
    const limit = segs[s + 1]?.firstRev ?? Number.MAX_SAFE_INTEGER;
    if (prevEnd && seg.firstRev !== prevEnd.rev + 1) {
      problems.push(`journal gap: ${prevEnd.file} ends at rev ${prevEnd.rev}, ${file} starts at rev ${seg.firstRev}`);
    }
    let buf: Buffer;
    try {
      buf = fs.readFileSync(seg.file);
    } catch (error) {
      problems.push(`journal segment ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
      return;
    }
    let expected = seg.firstRev;
    let stale = 0;
    let start = 0;
    while (start < buf.length) {
      const nl = buf.indexOf(10, start);
      if (nl === -1) {
        problems.push(`torn record at the end of ${file} (${buf.length - start} bytes without a line end)`);
        break;
      }
      const record = parseRecord(buf.subarray(start, nl));
      if (!record) {
        problems.push(nl === buf.length - 1 ? `unreadable last record in ${file} (torn tail, ${nl - start} bytes)` : `unreadable journal record in ${file} at byte ${start}`);
        break;
      }
      if (record.rev >= limit) stale++;
      else if (record.rev !== expected) {
        problems.push(`journal gap in ${file}: expected rev ${expected}, found rev ${record.rev} at byte ${start}`);
        break;
      } else {
        expected++;
        records++;
      }
      start = nl + 1;
    }
    if (stale > 0) notes.push(`${file} ends with ${stale} record(s) of an append that failed; the daemon ignores them`);
    prevEnd = { file, rev: expected - 1 };
  });
  return { segments: segs.length, records, firstRev: segs[0]?.firstRev, problems: problems.length - before };
}

/** Metadata whose data file is gone is a lost backup; an unreadable metadata file or data without metadata is a crash's leftover. */
function checkBackupLeftovers(files: StoreFiles, listed: Set<string>, problems: string[], notes: string[]): void {
  let names: string[];
  try {
    names = fs.readdirSync(files.backups.dir);
  } catch {
    return;
  }
  const present = new Set(names);
  for (const n of names) {
    if (n.endsWith('.meta.json')) {
      const id = n.slice(0, -'.meta.json'.length);
      if (listed.has(id)) continue;
      let parsed: { id?: unknown } | undefined;
      try {
        parsed = JSON.parse(fs.readFileSync(path.join(files.backups.dir, n), 'utf8')) as { id?: unknown };
      } catch {
        notes.push(`backup metadata ${n} is unreadable (a backup a crash interrupted; the daemon ignores it)`);
        continue;
      }
      if (!present.has(`${id}.json`)) problems.push(`backup ${String(parsed?.id ?? id)}: its data file ${id}.json is missing`);
      else notes.push(`backup metadata ${n} does not describe a usable backup (id ${JSON.stringify(parsed?.id)})`);
    } else if (n.endsWith('.json') && !present.has(`${n.slice(0, -'.json'.length)}.meta.json`)) {
      notes.push(`${n} has no metadata (a backup a crash interrupted; the daemon removes it at its next backup)`);
    }
  }
}
