import path from 'node:path';
import { StoreError } from '../protocol/errors.ts';
import { checkPolicyShape } from '../protocol/policy-shape.ts';
import type { DaemonPort } from '../protocol/endpoint.ts';
import type { ClientPolicy } from '../protocol/types.ts';
import { INSPECTOR_POLICY } from '../inspector/serve/policy.ts';
import type { WebContentsLike } from './supervisor-types.ts';

/** Options of daemon.openInspector(). */
export interface InspectorOptions {
  /**
   * What the inspector may do. Default `{ stores: '*', admin: true }`: every store, with history, rollback and
   * backups; encrypted keys stay kept from it (shown masked) unless a read pattern names them, as for any window.
   */
  policy?: ClientPolicy;
  /** Serve the page on 127.0.0.1 even in Electron (for a browser of your choice). Always so outside Electron. */
  serve?: boolean;
  /** Served: the TCP port on 127.0.0.1 (default: any free one). */
  port?: number;
  /** Electron: the window's preload (default: the package's `preload/auto`, which forwards the port). */
  preload?: string;
}

/** An open inspector. */
export interface Inspector {
  /** 'window': an Electron window; 'served': a local page, opened by visiting `url` once. */
  readonly kind: 'window' | 'served';
  /** The window's page, or the served page's one-time link (its token works once). */
  readonly url: string;
  /** Closes the window, or stops serving (connected tabs lose their port). */
  close(): Promise<void>;
}

/** What opening an inspector needs from the daemon's handle. */
export interface InspectorHost {
  readonly host: 'utility-process' | 'worker';
  createPort(policy?: ClientPolicy): DaemonPort;
  attach(webContents: WebContentsLike, policy?: ClientPolicy): void;
}

function checkInspectorOptions(options: InspectorOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('openInspector() takes { policy?, serve?, port?, preload? }.');
  checkPolicyShape(options.policy);
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535)) {
    throw new TypeError('openInspector({ port }): a TCP port number (0–65535; 0 or none for any free one).');
  }
  if (options.preload !== undefined && (typeof options.preload !== 'string' || !path.isAbsolute(options.preload))) {
    throw new TypeError('openInspector({ preload }): an absolute path to a preload script.');
  }
}

/** The inspectors a daemon has open, so closing the daemon closes them. */
export class Inspectors {
  readonly #open = new Set<Inspector>();
  /** Set by closeAll(): an inspector whose opening finishes afterwards is closed at once (its daemon is going). */
  #closed = false;

  /** Opens one: an Electron window on the utility-process host, otherwise (or with `serve`) a local page. */
  async open(host: InspectorHost, options: InspectorOptions = {}): Promise<Inspector> {
    checkInspectorOptions(options);
    const policy = options.policy ?? INSPECTOR_POLICY;
    let inspector: Inspector;
    if (host.host === 'utility-process' && !options.serve) {
      const { openInspectorWindow } = await import('./inspector-window.ts');
      inspector = await openInspectorWindow((contents) => host.attach(contents, policy), options.preload);
    } else {
      const { serveInspector } = await import('../inspector/serve/server.ts');
      const server = await serveInspector({ createPort: () => host.createPort(policy), port: options.port });
      inspector = { kind: 'served', url: server.url, close: () => server.close() };
    }
    const tracked: Inspector = {
      kind: inspector.kind, url: inspector.url,
      close: async () => {
        this.#open.delete(tracked);
        await inspector.close();
      },
    };
    if (this.#closed) {
      await inspector.close();
      throw new StoreError('CLOSED', 'The store daemon was closed while the inspector was opening.');
    }
    this.#open.add(tracked);
    return tracked;
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#open].map((i) => i.close()));
  }
}
