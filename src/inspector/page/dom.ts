/** A tiny element builder: the inspector is plain DOM, no framework to ship or keep in step with the app's. */
type Child = Node | string | number | null | undefined | false;

interface Props {
  class?: string;
  title?: string;
  testid?: string;
  onclick?: () => void;
  attrs?: Record<string, string>;
}

/** Creates an element with its props and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  if (props.testid) el.dataset.testid = props.testid;
  if (props.onclick) el.addEventListener('click', props.onclick);
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  append(el, ...children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

/** Bytes in a human unit. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A time of day with milliseconds (the feed's resolution). */
export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A date and time for history and backups. */
export function when(ms: number): string {
  return `${new Date(ms).toLocaleDateString()} ${clock(ms)}`;
}

/**
 * A button that asks for a second click before it acts (dangerous actions: roll back, restore). Not `confirm()`:
 * a modal dialog blocks the page's live updates, and automated browsers dismiss it.
 */
export function confirmButton(label: string, confirmLabel: string, testid: string, action: () => Promise<void>): HTMLButtonElement {
  const button = h('button', { testid, class: 'danger' }, label);
  let armed = false;
  button.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      button.textContent = confirmLabel;
      button.classList.add('armed');
      return;
    }
    armed = false;
    button.disabled = true;
    void action().finally(() => {
      button.disabled = false;
      button.textContent = label;
      button.classList.remove('armed');
    });
  });
  button.addEventListener('blur', () => {
    if (!armed) return;
    armed = false;
    button.textContent = label;
    button.classList.remove('armed');
  });
  return button;
}
