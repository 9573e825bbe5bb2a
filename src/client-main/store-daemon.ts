import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { StoreError, type SerializedStoreError } from '../protocol/errors.ts';
import type { ControlFromDaemon, ControlToDaemon } from '../protocol/control.ts';
import { PROTOCOL_VERSION } from '../protocol/messages.ts';
import type { DaemonPort } from '../protocol/endpoint.ts';
import type { ClientPolicy } from '../protocol/types.ts';
import { ClientConnection } from '../client/connection.ts';
import { CachedStore } from '../client/cached-store.ts';
import { checkPolicyShape } from '../protocol/policy-shape.ts';
import { daemonEnv, type DaemonLauncher, type DaemonProcess } from './daemon-process.ts';
import { plainStores, type DaemonOptions } from './options.ts';
import { GateProcess } from './gate-process.ts';
import { Inspectors, type Inspector, type InspectorOptions } from './inspector.ts';
import { emitOrLog } from './report.ts';
import type { MainStoreClient, Reattachable, StoreDaemonEvents, SupervisorState, WebContentsLike } from './supervisor-types.ts';

/**
 * Daemons of this process that died without closing, by folder. A new daemon on the same folder (a restart, or the
 * app opening it again) may take their store locks over at once instead of waiting for them to go stale: main saw
 * them exit, so nobody holds those locks any more.
 */
const exitedDaemons = new Map<string, string>();

export type { DaemonPort } from '../protocol/endpoint.ts';

export type { MainStoreClient, Reattachable, StoreDaemonEvents, SupervisorState, WebContentsLike } from './supervisor-types.ts';

/**
 * Main's handle on the daemon: starts it, hands out ports, restarts it after a crash (bounded), closes it.
 * The same class drives a utility process or a worker; only the launcher differs.
 */
export class StoreDaemon extends EventEmitter {
  #proc: DaemonProcess | undefined;
  #daemonId = '';
  #mainConnection: ClientConnection | undefined;
  #reattach = new Set<Reattachable>();
  #restarts: number[] = [];
  /** One state, as VS Code's storage keeps one StorageState; `#proc` is set while a process is alive. */
  #state: SupervisorState = 'starting';
  /** close()'s result, once it was called. */
  #closing: Promise<void> | undefined;
  readonly #inspectors = new Inspectors();
  #starting: Promise<void> | undefined;
  #attacher: ((webContents: WebContentsLike, policy: ClientPolicy | undefined) => void) | undefined;
  readonly #options: DaemonOptions;
  readonly #launcher: DaemonLauncher;
  readonly #entry: string;
  readonly #cwd: string;
  #failedStores: Record<string, SerializedStoreError> = {};
  /** Where untrusted clients' ports end (src/gate), and the limit on their messages the daemon gave at ready. */
  readonly #gate: GateProcess;
  #maxMessageBytes: number | undefined;

  constructor(options: DaemonOptions, launcher: DaemonLauncher, cwd: string) {
    super();
    this.#options = options;
    this.#launcher = launcher;
    this.#cwd = cwd;
    this.#entry = options.daemonPath ?? launcher.defaultEntry();
    this.#gate = new GateProcess(launcher, this.#entry, options.restart ?? {}, {
      // The gate died and a new one may start: the windows get new ports, through it.
      reconnect: () => {
        if (this.#closing || this.#state !== 'running') return;
        for (const r of [...this.#reattach]) if (!r.trusted) this.#guard(() => this.#reconnect(r));
      },
      gaveUp: (error) => this.#report(error),
    });
  }

  /** Starts (or restarts) the daemon process and waits for its `ready`. */
  async start(previousDaemonId = exitedDaemons.get(this.#cwd)): Promise<void> {
    const daemonId = randomUUID();
    const proc = this.#launcher.spawn(this.#entry, { env: daemonEnv() });
    // Electron apps have windows: their gate starts beside the daemon (see GateProcess.warm).
    const gate = this.#launcher.kind === 'utility-process' ? this.#gate.warm() : undefined;
    this.#proc = proc;
    this.#daemonId = daemonId;
    // Events of the start itself (an edit made while the app was closed, rejected at open) wait until the caller of
    // startStoreDaemon() has had its turn to add listeners.
    let early: Array<() => void> | undefined = [];
    const ready = new Promise<void>((resolve, reject) => {
      proc.onMessage((raw) => {
        const msg = raw as ControlFromDaemon;
        if (!msg || typeof msg !== 'object') return;
        if (msg.t === 'ready') {
          this.#failedStores = msg.failed;
          this.#maxMessageBytes = typeof msg.maxMessageBytes === 'number' ? msg.maxMessageBytes : undefined;
          resolve();
        } else if (msg.t === 'init-failed') {
          reject(StoreError.fromJSON(msg.error));
        } else if (msg.t === 'external-change-rejected') {
          const emit = () => this.emit('external-change-rejected', { store: msg.store, keptAs: msg.keptAs, error: StoreError.fromJSON(msg.error) });
          if (early) early.push(emit);
          else emit();
        } else if (msg.t === 'log') {
          if (msg.level === 'error') this.#report(new StoreError('IO_FAILED', msg.message));
        } else if (msg.t === 'fatal') {
          this.#report(new StoreError(msg.code === 'IO_FAILED' ? 'IO_FAILED' : 'DAEMON_UNAVAILABLE', String(msg.message)));
        }
      });
      proc.onExit((code) => {
        reject(new StoreError('DAEMON_UNAVAILABLE', `The store daemon exited (code ${code}) before it was ready.`));
        this.#onExit(proc, code);
      });
    });
    const init: ControlToDaemon = {
      t: 'init', protocol: PROTOCOL_VERSION, daemonId, cwd: this.#cwd, stores: plainStores(this.#options.stores),
      ...(previousDaemonId && { previousDaemonId }),
      ...(this.#options.encryptionKey && { encryptionKey: this.#options.encryptionKey }),
      ...(this.#launcher.appVersion && { appVersion: this.#launcher.appVersion() }),
      ...(this.#options.tuning && { tuning: this.#options.tuning }),
    };
    proc.post(init);
    try {
      await ready;
      await gate;
    } catch (error) {
      // A daemon that will not serve must not linger (init-failed leaves it running); the first start failing is
      // startStoreDaemon's error to report, not a crash to restart.
      if (this.#state === 'starting') {
        // The first start failed: nobody can close this daemon, so nothing of it may stay behind.
        this.#state = 'stopped';
        this.#gate.stop(0);
      }
      if (proc === this.#proc) proc.kill();
      throw error;
    }
    if (this.#state === 'starting' || this.#state === 'restarting') this.#state = 'running';
    this.#gate.reset();
    const held = early;
    early = undefined;
    if (held.length > 0) setImmediate(() => held.forEach((emit) => emit()));
  }

  #onExit(proc: DaemonProcess, code: number | null): void {
    if (proc !== this.#proc) return;
    this.#proc = undefined;
    exitedDaemons.set(this.#cwd, this.#daemonId);
    const expected = this.#closing !== undefined;
    if (this.#state === 'starting') this.#state = 'stopped';
    // The restart is decided and scheduled before anyone is told: nothing a listener does (or throws) can stop it.
    const gaveUp = this.#state === 'running' || this.#state === 'restarting' ? !this.#scheduleRestart() : false;
    // After close() the client port's own close settles what is pending, after the replies sent before it.
    if (!expected) this.#guard(() => this.#mainConnection?.fail('DAEMON_UNAVAILABLE', `The store daemon exited (code ${code}); the request did not complete.`, false));
    this.#guard(() => this.emit('exit', { code, expected }));
    if (gaveUp) {
      const { maxRestarts = 5, windowMs = 60_000 } = this.#options.restart ?? {};
      this.#report(new StoreError('DAEMON_UNAVAILABLE', `The store daemon crashed ${maxRestarts + 1} times within ${windowMs} ms; not restarting it again. Check the log for the cause.`));
      this.#guard(() => this.#mainConnection?.fail('DAEMON_UNAVAILABLE', 'The store daemon keeps crashing and was not restarted.'));
    }
  }

  /** Schedules the restart of a crashed daemon (with backoff); false when the crash budget is spent (then stopped). */
  #scheduleRestart(): boolean {
    const { maxRestarts = 5, windowMs = 60_000 } = this.#options.restart ?? {};
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < windowMs);
    if (this.#restarts.length >= maxRestarts) {
      this.#state = 'stopped';
      return false;
    }
    this.#restarts.push(now);
    this.#state = 'restarting';
    const previous = this.#daemonId;
    const delay = Math.min(2000, 50 * 2 ** (this.#restarts.length - 1));
    const timer = setTimeout(() => {
      if (this.#state !== 'restarting') return;
      this.#starting = this.start(previous).then(() => {
        // close() began while this daemon was starting: close() ends it; there is nobody to reconnect.
        if (this.#closing) return;
        this.#guard(() => this.#reconnectAll());
        this.#guard(() => this.emit('restart', { attempt: this.#restarts.length }));
      }, (error: unknown) => {
        if (!this.#closing) this.#report(error);
      });
    }, delay);
    timer.unref?.();
    return true;
  }

  /** Runs a notification; what it throws (a listener's error) is reported, never propagated into the supervisor. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#report(error);
    }
  }

  #reconnectAll(): void {
    if (this.#mainConnection) {
      const { local, remote } = this.#launcher.channel();
      this.#connect(remote, undefined, true);
      void this.#mainConnection.attach(local);
    }
    for (const r of [...this.#reattach]) this.#reconnect(r);
  }

  #reconnect(r: Reattachable): void {
    const { local, remote } = this.#launcher.channel();
    this.#connect(remote, r.policy, r.trusted);
    let delivered = false;
    try {
      delivered = r.deliver(local);
    } catch (error) {
      // One client that cannot take its port (a window in a bad state) must not keep the others from theirs.
      (local as { close?(): void }).close?.();
      this.#report(error);
    }
    if (!delivered) this.#reattach.delete(r);
  }

  #connect(remote: unknown, policy: ClientPolicy | undefined, trusted: boolean): void {
    // A port posted to a dead daemon would never answer: fail now rather than let the client time out.
    if (!this.#proc || this.#state !== 'running') {
      throw new StoreError('DAEMON_UNAVAILABLE', 'The store daemon is not running (it crashed and is restarting, or gave up); retry after its \'restart\' event.');
    }
    checkPolicyShape(policy);
    // An untrusted client's port ends in the gate, which decodes and measures its messages; the daemon gets the
    // gate's end (src/gate/gate.ts).
    const gated = !trusted && this.#maxMessageBytes !== undefined;
    const port = gated ? this.#gate.route(remote, this.#maxMessageBytes!) : remote;
    const msg: ControlToDaemon = { t: 'connect', clientId: randomUUID().slice(0, 8), trusted, ...(policy && { policy }), ...(gated && { gated }) };
    this.#proc.post(msg, port);
  }

  /** Stores that failed to open, with why (e.g. MIGRATION_FAILED, STORE_LOCKED). */
  get failedStores(): Record<string, StoreError> {
    return Object.fromEntries(Object.entries(this.#failedStores).map(([k, v]) => [k, StoreError.fromJSON(v)]));
  }

  /** Opens a store on main's own connection (trusted: admin, sees encrypted keys). */
  async store<T extends object = Record<string, unknown>>(name: string): Promise<MainStoreClient<T>> {
    if (this.#closing) throw new StoreError('CLOSED', 'The store daemon is closed.');
    if (!this.#mainConnection) {
      const { local, remote } = this.#launcher.channel();
      this.#connect(remote, undefined, true);
      this.#mainConnection = new ClientConnection(local);
    }
    const client = await CachedStore.open<T>(this.#mainConnection, name);
    return Object.assign(client, { openInEditor: () => this.#openInEditor(client.path) });
  }

  async #openInEditor(file: string): Promise<void> {
    if (!this.#launcher.openPath) {
      throw new StoreError('IO_FAILED', `openInEditor() opens the file with the system's default app through Electron's shell; outside Electron open ${file} yourself.`);
    }
    const error = await this.#launcher.openPath(file);
    if (error) throw new StoreError('IO_FAILED', `Could not open ${file}: ${error}.`);
  }

  /**
   * A port for another process or worker (use it with `connectStore(name, { port })`). Without a policy it has
   * main's rights; with one, the policy applies (admin off unless granted, encrypted keys hidden unless read-listed).
   */
  createPort(policy?: ClientPolicy): DaemonPort {
    if (this.#closing) throw new StoreError('CLOSED', 'The store daemon is closed.');
    const { local, remote } = this.#launcher.channel();
    this.#connect(remote, policy, policy === undefined);
    return local as DaemonPort;
  }

  /**
   * Registers a client that gets a fresh port now and after every restart (windows). While the daemon is down
   * (between a crash and its restart) the client is only registered: its port comes with the restart.
   */
  attachClient(client: Reattachable): void {
    if (this.#closing) throw new StoreError('CLOSED', 'The store daemon is closed.');
    this.#reattach.add(client);
    if (this.#state !== 'running') return;
    const { local, remote } = this.#launcher.channel();
    this.#connect(remote, client.policy, client.trusted);
    if (!client.deliver(local)) this.#reattach.delete(client);
  }

  detachClient(client: Reattachable): void {
    this.#reattach.delete(client);
  }

  /**
   * Gives a window (its webContents) a port now and again on every page load and daemon restart; windows are
   * untrusted and get `policy` (default: `windowPolicy`). Electron's main process only.
   */
  attach(webContents: WebContentsLike, policy?: ClientPolicy): void {
    if (!this.#attacher) throw new StoreError('DAEMON_UNAVAILABLE', 'attach(webContents) works only in Electron\'s main process (host \'utility-process\'); elsewhere hand out daemon.createPort().');
    this.#attacher(webContents, policy ?? this.#options.windowPolicy);
  }

  /** @internal The Electron side installs how webContents are attached. */
  useWebContentsAttacher(attacher: (webContents: WebContentsLike, policy: ClientPolicy | undefined) => void): void {
    this.#attacher = attacher;
  }

  /** True while a daemon process is up and serving (false between a crash and its restart, and after close). */
  get running(): boolean {
    return this.#state === 'running';
  }

  /** Where the supervisor is: starting, running, restarting after a crash, closing, or stopped (closed or given up). */
  get state(): SupervisorState {
    return this.#state;
  }

  /** The launcher's kind. */
  get host(): 'utility-process' | 'worker' {
    return this.#launcher.kind;
  }

  /** Kills the daemon without a flush (tests and crash drills). The supervisor restarts it. */
  kill(): void {
    // Known dead from this moment: a daemon started right after may take its locks over without waiting for 'exit'.
    if (this.#proc) exitedDaemons.set(this.#cwd, this.#daemonId);
    this.#proc?.kill();
  }

  /** Resolves after a restart that is under way (if any) has finished. */
  async restarted(): Promise<void> {
    await this.#starting;
  }

  /** Opens the inspector (README, Tools): an Electron window, or a page on 127.0.0.1 with a one-time link (`url`). */
  openInspector(options?: InspectorOptions): Promise<Inspector> {
    if (this.#closing) return Promise.reject(new StoreError('CLOSED', 'The store daemon is closed.'));
    return this.#inspectors.open(this, options);
  }

  /** Stops accepting writes, drains, checkpoints, releases locks and ends the daemon (bounded by closeTimeoutMs). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#state = 'closing';
      await this.#inspectors.closeAll();
      const proc = this.#proc;
      if (!proc) {
        // Already gone (crashed and not restarted yet, or given up): nothing to flush.
        this.#gate.stop(0);
        this.#state = 'stopped';
        this.#mainConnection?.fail('CLOSED', 'The store daemon was closed.');
        return;
      }
      const done = new Promise<void>((resolve) => {
        proc.onMessage((m) => (m as ControlFromDaemon)?.t === 'closed' && resolve());
        proc.onExit(() => resolve());
      });
      proc.post({ t: 'close' } satisfies ControlToDaemon);
      const timeout = this.#options.closeTimeoutMs ?? 5000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = await Promise.race([done.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeout)))]);
      clearTimeout(timer);
      if (timedOut) {
        proc.kill();
        this.#report(new StoreError('TIMEOUT', `The store daemon did not close within ${timeout} ms and was stopped; writes not yet durable may be lost.`));
        this.#mainConnection?.fail('CLOSED', 'The store daemon was closed.');
      } else {
        // Replies to drained writes may still be on their way (they travel on the client port, 'closed' on the
        // daemon's own channel): refuse new requests, let those arrive; the port's close settles the rest.
        this.#mainConnection?.refuseNew('CLOSED', 'The store daemon was closed.');
      }
      this.#gate.stop(timeout);
      this.#state = 'stopped';
    })();
    return this.#closing;
  }

  #report(error: unknown): void {
    emitOrLog(this, error);
  }

  /** Subscribes to a daemon event (see StoreDaemonEvents). */
  override on<E extends keyof StoreDaemonEvents>(event: E, listener: (...args: StoreDaemonEvents[E]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override off<E extends keyof StoreDaemonEvents>(event: E, listener: (...args: StoreDaemonEvents[E]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}
