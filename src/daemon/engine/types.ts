import type { Operation } from 'rfc6902';
import type { JsonObject, StoreDefinition, StoreInfo } from '../../protocol/types.ts';
import type { FieldCipher } from '../features/encryption.ts';
import type { DocumentValidator } from '../features/validator.ts';
import type { CheckpointFile } from '../storage/checkpoint.ts';
import type { Journal } from '../storage/journal.ts';
import type { CheckpointTuning } from './checkpoint-schedule.ts';

/** A committed write, as broadcast to subscribers. */
export interface CommitRecord {
  rev: number;
  time: number;
  source: string;
  ops: Operation[];
  /** Draft.anchors, when any op concerns an array (omitted otherwise). */
  anchors?: number[];
}

/**
 * Who is waiting for a write's result, so its ack can ride on the group's change event: `owner` is the connection,
 * `id` its write id. The engine only carries it from the write to the group it commits in.
 */
export interface AckTag {
  readonly owner: object;
  readonly id: number;
}

/** A write of the group that was accepted (its rev; a no-op write's rev is the group's last). */
export interface GroupAck {
  readonly tag: AckTag;
  readonly rev: number;
}

/** What `info().recovery` reports about the last open. */
export type RecoveryReport = StoreInfo['recovery'];

/** The state a store opens with (what recovery rebuilt). */
export interface OpeningState {
  doc: JsonObject;
  internal: Record<string, unknown>;
  rev: number;
  checkpointRev: number;
  /** Journal bytes replayed on top of the checkpoint (they count toward the next checkpoint). */
  replayedBytes: number;
  report: RecoveryReport;
  /** What the user did to the file while the app was closed, to apply once the store is open. */
  closedEdit?: ClosedEdit;
}

/**
 * A change of the checkpoint the daemon did not make, found at open: an edit (the file's document and conf data, and
 * the document the daemon last wrote there, for the three-way merge), a deletion (a reset, as in electron-store), or a
 * file that no longer parses (kept aside; the daemon's state stands).
 */
export type ClosedEdit =
  | { kind: 'edit'; doc: JsonObject; internal: Record<string, unknown>; base: JsonObject; text: string }
  | { kind: 'deleted' }
  | { kind: 'rejected'; keptAs: string; reason: string };

/** Everything an engine is made of; the daemon's open sequence builds these (see open-store.ts). */
export interface EngineParts {
  def: StoreDefinition;
  checkpoint: CheckpointFile;
  journal: Journal;
  /** Encryption at rest of `encryptedKeys` (identity when there are none). */
  cipher: FieldCipher;
  validator?: DocumentValidator;
  defaults: JsonObject;
  opening: OpeningState;
  checkpointEvery?: CheckpointTuning;
  /** The rev the journal must be kept back to for start-up recovery (the newest backup's). */
  journalFloor?: () => number | undefined;
}
