import { StoreError } from '../../protocol/errors.ts';
import type { StoreDefinition } from '../../protocol/types.ts';
import type { StoreHandle } from '../engine/store-handle.ts';
import type { CheckpointFile } from '../storage/checkpoint.ts';
import type { BackupService } from './backups.ts';
import { diffDocuments } from './document-diff.ts';

/** True when the store has migrations and its data is not yet at `version` (conf's `__internal__.migrations.version`). */
export function migrationPending(def: StoreDefinition, internal: Record<string, unknown>): boolean {
  const migrations = def.migrations;
  if (!migrations || typeof migrations !== 'object' || Object.keys(migrations).length === 0) return false;
  // Migrations without a version to migrate to cannot run: pending, so the open fails with MIGRATION_FAILED saying so.
  if (typeof def.version !== 'string' || def.version === '') return true;
  return migratedVersion(internal) !== def.version;
}

function migratedVersion(internal: Record<string, unknown>): string | undefined {
  const v = (internal.migrations as { version?: unknown } | undefined)?.version;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Runs electron-store-style migrations at open (SPEC §6.12), after recovery and before any client is served:
 * 1. a full backup, reason `before-migration` (no backup, no migration);
 * 2. conf runs the migrations (its `migrations` + `projectVersion`) on a scratch copy of the document;
 * 3. the result, compared by top-level key, is committed as one ordinary write with source `migration` — validated
 *    against the schema, journaled together with the new migration version, broadcast — so history, rollback and rev
 *    stay consistent, and a crash at any point either reruns the migration from the old data or finds it done.
 * If a migration throws (also halfway, after it wrote), or its result fails the schema or cannot be journaled, the
 * checkpoint is restored from the step-1 backup and this store refuses to open with MIGRATION_FAILED, carrying the
 * backup id in `details.backupId`. Other stores are not affected.
 */
export async function migrateAtOpen(engine: StoreHandle, def: StoreDefinition, checkpoint: CheckpointFile, backups: BackupService): Promise<void> {
  if (!migrationPending(def, engine.internal)) return;
  const store = engine.name;
  const to = def.version;
  const from = migratedVersion(engine.internal);
  if (typeof to !== 'string' || to === '') {
    throw new StoreError('MIGRATION_FAILED', `Store "${store}" has migrations but no version; set \`version\` to the data version the migrations lead to.`, { store });
  }
  const migrations = def.migrations!;
  for (const [version, fn] of Object.entries(migrations)) {
    if (typeof fn !== 'function') throw new StoreError('MIGRATION_FAILED', `Store "${store}": migration "${version}" is not a function.`, { store });
  }

  let backupId: string;
  try {
    backupId = backups.createNow('before-migration').id;
  } catch (error) {
    throw new StoreError('MIGRATION_FAILED', `Store "${store}": could not take the backup that must precede the migration to ${to} (${(error as Error).message}); nothing was migrated. Free disk space or fix permissions and restart.`, { store, details: { from, to }, cause: error });
  }

  const fail = (step: string, error: unknown): StoreError => {
    let restored = 'the files were restored from it';
    try {
      const backup = backups.files.read(backupId);
      checkpoint.write(backup.doc, backup.internal, { rev: backup.info.rev, time: Date.now() });
    } catch (restoreError) {
      restored = `restoring the files from it failed too (${(restoreError as Error).message}); restore it by hand`;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new StoreError('MIGRATION_FAILED', `Store "${store}": the migration from ${from ?? 'the unversioned data'} to ${to} failed ${step} (${message}). A backup was taken first (${backupId}) and ${restored}; the store stays closed until the migration is fixed.`, {
      store, details: { backupId, from, to, step, error: message }, cause: error,
    });
  };

  let migrated: ReturnType<CheckpointFile['runMigrations']>;
  try {
    migrated = checkpoint.runMigrations(engine.doc, engine.internal, to, migrations);
  } catch (error) {
    throw fail('while running', error);
  }
  const ops = diffDocuments(engine.doc, migrated.doc);
  try {
    await engine.submit('migration', (draft) => ops.forEach((op, i) => draft.patchOp(op, i)), {
      validateAll: true,
      internal: { migrations: migrated.internal.migrations ?? { version: to } },
    });
  } catch (error) {
    throw fail(error instanceof StoreError && error.code === 'VALIDATION_FAILED' ? 'its result does not match the schema' : 'while committing its result', error);
  }
  await engine.whenCommitted(() => engine.checkpointNow());
}
