import { defineStore } from 'electron-store-daemon';

export interface Settings {
  theme: 'auto' | 'dark' | 'light';
  fontSize: number;
  window?: { width?: number; height?: number };
}

/** Defined once: main gets the types, the daemon the schema and defaults. */
export const settings = defineStore<Settings>({
  name: 'settings',
  schema: {
    type: 'object',
    properties: {
      theme: { enum: ['auto', 'dark', 'light'] },
      fontSize: { type: 'number', minimum: 6, maximum: 72 },
      window: { type: 'object', properties: { width: { type: 'integer', minimum: 200 }, height: { type: 'integer', minimum: 200 } } },
    },
  },
  defaults: { theme: 'auto', fontSize: 14 },
});
