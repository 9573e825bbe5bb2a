/**
 * `electron` in an emulated utility process: Electron exports only its utility modules there (net,
 * systemPreferences, …; see electron.ts), none of which the library uses. So this has no named export at all:
 * `import { app } from 'electron'` fails to link, `electron.app` is undefined.
 */
export default {} as Record<string, unknown>;
