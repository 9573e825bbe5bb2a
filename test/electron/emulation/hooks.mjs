// Module hooks of the Electron emulation (plain JS: they run on the loader thread, before tsx is involved).
// - resolve: `electron` (and its `electron/main|renderer|utility|common` subpaths) -> the emulation module.
// - load: a page script imported with the page query gets one line in front that reports, in the task after its
//   synchronous evaluation, that it ran. That is how the emulated renderer fires `dom-ready` at the point Chromium
//   fires DOMContentLoaded: after the module scripts ran, without waiting for their top-level awaits.
let electronUrl;
let pageQuery;

export function initialize(data) {
  electronUrl = data.electronUrl;
  pageQuery = data.pageQuery;
}

export async function resolve(specifier, context, next) {
  if (specifier === 'electron' || /^electron\/(main|renderer|utility|common)$/.test(specifier)) {
    return { url: electronUrl, format: 'module', shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  const result = await next(url, context);
  if (!url.startsWith('file:') || !new URL(url).searchParams.has(pageQuery) || result.format !== 'module' || result.source == null) return result;
  const source = typeof result.source === 'string' ? result.source : Buffer.from(result.source).toString('utf8');
  return { ...result, source: `setImmediate(() => globalThis.__electronEmulationScriptRan?.(import.meta.url));${source}` };
}
