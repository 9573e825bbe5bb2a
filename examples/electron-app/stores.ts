import { defineStore } from 'electron-store-daemon';

export interface Settings {
  theme: 'system' | 'light' | 'dark';
  fontSize: number;
  accent: string;
}

/** One definition: main gets the types, the daemon the schema and defaults, the windows the types. */
export const settings = defineStore<Settings>({
  name: 'settings',
  schema: {
    type: 'object',
    properties: {
      theme: { enum: ['system', 'light', 'dark'] },
      fontSize: { type: 'integer', minimum: 8, maximum: 32 },
      accent: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' },
    },
  },
  defaults: { theme: 'system', fontSize: 14, accent: '#3b82f6' },
});
