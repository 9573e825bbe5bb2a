// The page: a settings form kept live across both windows; a rejected value is shown, not swallowed.
import { connectStore, StoreError } from 'electron-store-daemon/renderer';
import type { Settings } from './stores.ts';

const store = await connectStore<Settings>('settings');

const form = document.querySelector<HTMLFormElement>('#settings')!;
const status = document.querySelector<HTMLParagraphElement>('#status')!;
const field = <T extends HTMLInputElement | HTMLSelectElement>(name: keyof Settings) => form.elements.namedItem(name) as T;

/** Shows the cached document (synchronous reads) in the form and the page. */
function render(): void {
  field<HTMLSelectElement>('theme').value = store.get('theme') ?? 'system';
  field<HTMLInputElement>('fontSize').value = String(store.get('fontSize') ?? 14);
  field<HTMLInputElement>('accent').value = store.get('accent') ?? '';
  document.documentElement.dataset.theme = store.get('theme');
  document.documentElement.style.setProperty('--accent', store.get('accent') ?? '#3b82f6');
  document.documentElement.style.fontSize = `${store.get('fontSize') ?? 14}px`;
}

function show(text: string, isError = false): void {
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

store.onDidAnyChange((_doc, _old, change) => {
  render();
  show(`rev ${change.rev}: ${change.source === 'resync' ? 'resynced' : `changed by ${change.source}`}`);
});

form.addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement | HTMLSelectElement;
  const key = input.name as keyof Settings;
  const value = key === 'fontSize' ? Number(input.value) : input.value;
  try {
    const { rev } = await store.set(key, value as never);
    show(`saved ${key} (rev ${rev}); the other window has it too`);
  } catch (error) {
    // VALIDATION_FAILED (schema), PERMISSION_DENIED (policy), DAEMON_UNAVAILABLE (restarting)...: nothing changed.
    const e = error as StoreError;
    show(`${key} not saved — ${e.code}: ${e.message}`, true);
    render();
  }
});

render();
show(`connected at rev ${store.rev}`);
