import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { loadAssets, type InspectorAssets } from './assets.ts';
import { relay } from './relay.ts';

/** Options of serveInspector. */
export interface ServeOptions {
  /** A fresh daemon port for each connected tab, under the inspector's policy. */
  createPort(): unknown;
  /** TCP port on 127.0.0.1 (default 0: any free one). */
  port?: number;
  /** The page (default: the package's bundled page). */
  assets?: InspectorAssets;
}

/** A running inspector server. */
export interface InspectorServer {
  /** The one-time link: its token works once, then the browser holds a session cookie. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The session cookie's name, one per server: cookies are not kept apart by port, so two inspectors on 127.0.0.1 would
 * overwrite each other's session under one name.
 */
const cookieName = (port: number) => `esd_inspector_${port}`;
/** Largest message a tab may send (an import of a big file): a bound, so one frame cannot fill the memory. */
const MAX_FRAME = 256 * 1024 * 1024;

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined || a.length !== b.length) return false;
  return crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function cookieOf(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * Serves the inspector on 127.0.0.1 only. Who may use it: whoever opens the printed link first. Its token is good
 * once and is traded for an HttpOnly, SameSite=Strict session cookie (so the token does not stay in the address bar
 * or history). Every request must name this server as Host (a DNS-rebinding page cannot), and the WebSocket must come
 * from this origin with the cookie (another site's page cannot open one). Behind that, the daemon applies the
 * inspector's policy to every message, as for any client.
 */
export async function serveInspector(options: ServeOptions): Promise<InspectorServer> {
  const assets = options.assets ?? await loadAssets();
  const token = crypto.randomBytes(24).toString('base64url');
  const session = crypto.randomBytes(24).toString('base64url');
  let tokenUsed = false;
  let origin = '';
  let cookie = '';
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });

  const server = http.createServer((req, res) => {
    const deny = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    if (req.headers.host !== new URL(origin).host) return deny(421, 'Wrong host.');
    if (req.method !== 'GET') return deny(405, 'Only GET.');
    // Only origin-form targets ("/path?query"): Node's parser also lets through absolute and malformed ones, and a
    // target `new URL` cannot parse must be a 400, not an exception in the process hosting the server.
    const target = req.url ?? '/';
    if (!target.startsWith('/') || target.startsWith('//')) return deny(400, 'Bad request target.');
    let url: URL;
    try {
      url = new URL(target, origin);
    } catch {
      return deny(400, 'Bad request target.');
    }
    const given = url.searchParams.get('token') ?? undefined;
    if (given !== undefined) {
      if (tokenUsed || !sameSecret(given, token)) return deny(403, 'This inspector link was already used or is wrong. Run the inspect command again (or call openInspector() again) for a new link.');
      tokenUsed = true;
      res.writeHead(303, { location: '/', 'set-cookie': `${cookie}=${session}; HttpOnly; SameSite=Strict; Path=/` });
      return res.end();
    }
    if (!sameSecret(cookieOf(req, cookie), session)) return deny(403, 'Open the inspector with the link the inspect command printed (its token works once).');
    const file: Record<string, [string, string]> = {
      '/': ['text/html; charset=utf-8', assets.html],
      '/inspector.js': ['text/javascript; charset=utf-8', assets.js],
      '/inspector.css': ['text/css; charset=utf-8', assets.css],
    };
    const hit = file[url.pathname];
    if (!hit) return deny(404, 'Not found.');
    res.writeHead(200, { 'content-type': hit[0], 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    res.end(hit[1]);
  });

  server.on('upgrade', (req, socket, head) => {
    const ok = req.url === '/port' && req.headers.host === new URL(origin).host && req.headers.origin === origin && sameSecret(cookieOf(req, cookie), session);
    if (!ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      let port: unknown;
      try {
        port = options.createPort();
      } catch {
        ws.close(1011, 'The store daemon is not running.');
        return;
      }
      relay(ws, port);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${address.port}`;
  cookie = cookieName(address.port);
  return {
    url: `${origin}/?token=${token}`,
    close: () => new Promise<void>((resolve) => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
