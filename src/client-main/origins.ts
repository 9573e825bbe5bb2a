/**
 * Which pages get a store port (`windowOrigins`). By default the app's own pages: `file:` URLs and custom-protocol
 * URLs (`app://…`: a scheme that only the app itself can serve, through `protocol.handle`). Web pages (http, https
 * and the browser's own schemes: data, blob, about, chrome, devtools, …) get one only when their origin is listed,
 * such as a dev server: `windowOrigins: ['http://localhost:5173']`.
 */

/** Schemes that are not the app's own: the web's and the browser's built-in ones. */
const NOT_APP_SCHEMES = new Set([
  'http:', 'https:', 'ws:', 'wss:', 'ftp:', 'data:', 'blob:', 'about:', 'javascript:', 'filesystem:', 'view-source:',
  'chrome:', 'chrome-untrusted:', 'chrome-extension:', 'chrome-error:', 'chrome-search:', 'devtools:', 'mailto:',
]);

/** `scheme://host[:port]` of a URL (also for custom schemes, where the URL API says 'null'); undefined if it does not parse. */
export function originOf(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol === 'file:') return 'file://';
  return `${u.protocol}//${u.host}`;
}

/** Checks `windowOrigins` and returns the origins it allows besides the app's own pages. */
export function checkWindowOrigins(value: unknown): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) throw new TypeError('windowOrigins must be an array of origins, e.g. [\'http://localhost:5173\'].');
  return new Set(value.map((entry: unknown) => {
    let u: URL | undefined;
    try {
      u = typeof entry === 'string' ? new URL(entry) : undefined;
    } catch {
      u = undefined;
    }
    if (!u || u.host === '' || (NOT_APP_SCHEMES.has(u.protocol) && u.protocol !== 'http:' && u.protocol !== 'https:')) {
      throw new TypeError(`windowOrigins: ${JSON.stringify(entry)} is not an origin; give scheme, host and port, e.g. 'http://localhost:5173'.`);
    }
    return originOf(u.href)!;
  }));
}

/** True when a page at `url` may have a store port: the app's own pages, or a listed origin. */
export function isAllowedPage(url: string, extra: ReadonlySet<string>): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'file:' || !NOT_APP_SCHEMES.has(u.protocol)) return true;
  return extra.has(originOf(url)!);
}
