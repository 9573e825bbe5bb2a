import fs from 'node:fs';
import type { JsonObject } from '../../protocol/types.ts';
import type { CheckpointFile } from '../storage/checkpoint.ts';
import { CheckpointSchedule, type CheckpointTuning } from './checkpoint-schedule.ts';
import { CopyOnWrite } from './copy-on-write.ts';

/** The store's committed state, as the checkpointer reads it at commit points. */
export interface CheckpointState {
  readonly doc: JsonObject;
  readonly rev: number;
  readonly internal: Record<string, unknown>;
  readonly closed: boolean;
  /** Compact JSON bytes of the document. */
  readonly bytes: number;
  /** relaxed records acknowledged but not yet in the journal: a checkpoint must not get ahead of them. */
  readonly unflushed: boolean;
}

/** What the checkpointer needs from its store. */
export interface CheckpointSubject {
  state(): CheckpointState;
  /** Runs `fn` when no commit group is in flight. */
  whenIdle(fn: () => void): void;
  reportProblem(message: string): void;
  /** The file now holds `rev`: prune the journal behind it. */
  checkpointed(rev: number): void;
}

/** Documents at least this large are checkpointed off the commit path (below it the whole write takes ~1 ms). */
const OFF_PATH_BYTES = 256 * 1024;
/** Longest stretch an off-path checkpoint serializes before letting commit groups run. */
const SLICE_MS = 2;

/**
 * Writes a store's checkpoint: when the schedule says so, and on demand. A scheduled checkpoint of a large document
 * runs off the commit path: it freezes the document at a commit point (a shallow copy of the root, and copy-on-write
 * for the writes that follow: see CopyOnWrite), then serializes and writes it a slice at a time while groups keep
 * committing; the journal holds every one of them, and is pruned only once the new file is renamed in. A checkpoint
 * on demand (close, a hand edit merged, a migration) is written at once and abandons one in flight, so an older
 * document can never be renamed over a newer one.
 */
export class Checkpointer {
  /** The rev the checkpoint file holds. */
  rev: number;
  readonly schedule: CheckpointSchedule;
  /** Set while an off-path checkpoint holds a frozen view of the document: drafts must copy before they change. */
  cow: CopyOnWrite | undefined;
  #generation = 0;
  #inFlight = false;
  readonly #offPathBytes: number;

  constructor(private readonly file: CheckpointFile, private readonly subject: CheckpointSubject, tuning: CheckpointTuning, rev: number) {
    this.rev = rev;
    this.#offPathBytes = tuning.offPathBytes ?? OFF_PATH_BYTES;
    this.schedule = new CheckpointSchedule(tuning, () => subject.whenIdle(() => this.#scheduled()));
  }

  /** Writes the checkpoint now if the file is behind (call only when idle); returns whether the file is current. */
  now(force = false): boolean {
    const s = this.subject.state();
    this.schedule.starting();
    if (s.rev === this.rev && fs.existsSync(this.file.path)) return true;
    // Never checkpoint past what the journal holds: relaxed records not yet flushed would be lost from history.
    if (s.unflushed && !force) return false;
    this.#abandon();
    try {
      this.file.write(s.doc, s.internal, { rev: s.rev, time: Date.now() });
    } catch (error) {
      // The journal still holds everything.
      this.#failed(error);
      return false;
    }
    this.#succeeded(s.rev, this.schedule.since());
    return true;
  }

  /** Forgets the rev the file holds, so the next checkpoint rewrites it (a hand edit was merged or rejected). */
  invalidate(): void {
    this.rev = -1;
  }

  cancel(): void {
    this.#abandon();
    this.schedule.cancel();
  }

  /** A scheduled checkpoint, at an idle moment of the commit queue. */
  #scheduled(): void {
    const s = this.subject.state();
    if (this.#inFlight || s.closed) return;
    if (s.bytes < this.#offPathBytes) {
      this.now();
      return;
    }
    this.schedule.starting();
    if (s.rev === this.rev && fs.existsSync(this.file.path)) return;
    if (s.unflushed) return;
    const generation = ++this.#generation;
    // close() and every checkpoint on demand move the generation on.
    const wanted = () => generation === this.#generation;
    const rev = s.rev;
    const covered = this.schedule.since();
    this.cow = new CopyOnWrite();
    this.#inFlight = true;
    // The frozen view: its own root; the live document copies anything below it before changing it.
    const frozen = { ...s.doc };
    const settle = () => {
      if (generation !== this.#generation) return false;
      this.#inFlight = false;
      this.cow = undefined;
      return true;
    };
    this.file.writeOffPath(frozen, s.internal, { rev, time: Date.now() }, { sliceMs: SLICE_MS, wanted }).then((written) => {
      if (!settle() || !written) return;
      // Pruned at a commit point, like every other change of the journal's files.
      this.subject.whenIdle(() => {
        this.#succeeded(rev, covered);
        // Writes committed meanwhile: their idle timer may have fired while this one ran; arm it again.
        const now = this.subject.state();
        if (!now.closed && now.rev > this.rev) this.schedule.afterCommit(now.bytes);
      });
    }, (error: unknown) => {
      if (settle()) this.#failed(error);
    });
  }

  /** Stops an off-path checkpoint in flight: it removes its temp file and leaves the checkpoint as it is. */
  #abandon(): void {
    this.#generation++;
    this.#inFlight = false;
    this.cow = undefined;
  }

  #succeeded(rev: number, covered: { records: number; bytes: number }): void {
    this.schedule.succeeded(covered);
    if (rev <= this.rev) return;
    this.rev = rev;
    this.subject.checkpointed(rev);
  }

  #failed(error: unknown): void {
    this.subject.reportProblem(`checkpoint failed, will retry: ${(error as Error).message}`);
    this.schedule.failed(this.subject.state().closed);
  }
}
