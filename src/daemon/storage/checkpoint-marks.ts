import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeAtomic } from './atomic-write.ts';
import type { FsSeam } from './fs-seam.ts';

/** What the daemon last wrote to the checkpoint (the file's sha256 and the rev it held). */
export interface CheckpointMark {
  sha256: string;
  rev: number;
}

type Marks = { current?: CheckpointMark; previous?: CheckpointMark };

/**
 * Where the daemon records what it wrote to a checkpoint (`{current, previous}`: sha256 and rev of its last two
 * texts), so a start can tell the user's edits made while the app was closed from its own file. Recorded before each
 * checkpoint is renamed in, keeping as `previous` the file known to be on disk: a crash between the two leaves a file
 * the mark still knows. (Not simply the last `current`: a write that failed after its mark was recorded never reached
 * the disk, and two of those in a row would leave the real file unknown — a later start would take the daemon's own
 * older checkpoint for a hand edit and undo acknowledged writes with it.)
 */
export class CheckpointMarks {
  #marks: Marks | undefined;
  /** The mark of the file known to be on disk: a write that landed, or what a start found there. */
  #onDisk: CheckpointMark | undefined;

  /** `fsSeam` syncs the marks folder after each rename, before the checkpoint's own: after a power cut, a checkpoint
   * whose mark did not reach the disk would look like a hand edit of the daemon's own file. */
  constructor(private readonly file: string | undefined, private readonly fsSeam: Pick<FsSeam, 'syncDir'>) {}

  read(): Marks {
    if (this.#marks) return this.#marks;
    this.#marks = {};
    if (!this.file) return this.#marks;
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Marks;
      const ok = (m: CheckpointMark | undefined) => m && typeof m.sha256 === 'string' && Number.isSafeInteger(m.rev) ? m : undefined;
      this.#marks = { current: ok(parsed.current), previous: ok(parsed.previous) };
    } catch {
      // No mark (or a damaged one): nothing to tell the user's edits by; the file is taken as it is.
    }
    return this.#marks;
  }

  /** The mark of the file known to be on disk, if any. */
  get onDisk(): CheckpointMark | undefined {
    return this.#onDisk;
  }

  /** Says the file on disk is the one `mark` describes (its write landed, or a start matched it). */
  confirm(mark: CheckpointMark): void {
    this.#onDisk = mark;
  }

  /** What stays known besides a new `current`: the file on disk, or (none confirmed yet) the last recorded one. */
  #previous(): CheckpointMark | undefined {
    return this.#onDisk ?? this.read().current;
  }

  /** Records `current` now (synchronously, synced). */
  save(current: CheckpointMark): void {
    if (!this.file) return;
    const previous = this.#previous();
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    writeAtomic(this.file, Buffer.from(JSON.stringify({ current, ...(previous && { previous }) })));
    this.fsSeam.syncDir(path.dirname(this.file));
    this.#marks = { current, previous };
  }

  /**
   * Writes and syncs the mark `current` will leave to a temp file, off the thread; `commit()` renames it in (call it
   * synchronously right before the checkpoint's own rename, with no other save in between).
   */
  async prepare(current: CheckpointMark): Promise<{ tmp: string; commit(): void } | undefined> {
    const file = this.file;
    if (!file) return undefined;
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
    // (A write of the checkpoint landing meanwhile makes the caller drop this one: its version check.)
    const previous = this.#previous();
    try {
      const handle = await fs.promises.open(tmp, 'w');
      try {
        await handle.writeFile(JSON.stringify({ current, ...(previous && { previous }) }));
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      await fs.promises.rm(tmp, { force: true });
      throw error;
    }
    return {
      tmp,
      commit: () => {
        fs.renameSync(tmp, file);
        this.fsSeam.syncDir(path.dirname(file));
        this.#marks = { current, previous };
      },
    };
  }
}

