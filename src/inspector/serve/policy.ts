import type { ClientPolicy } from '../../protocol/types.ts';

/**
 * The inspector's default rights, granted explicitly (never by being main): every store, admin (history, rollback,
 * backups); encrypted keys stay kept from it unless a read pattern names them, as for any window.
 */
export const INSPECTOR_POLICY: ClientPolicy = { stores: '*', admin: true };
