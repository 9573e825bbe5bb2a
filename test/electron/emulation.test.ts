// Pins the behaviours of the Electron emulation (SPEC §8) that the library relies on, so a test that passes against
// the emulation means something for Electron.
import './emulation/register.ts';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BrowserWindow, getApp, getSafeStorage, ipcMain, MessageChannelMain, MessagePortMain, utilityProcess, webContents, type IpcMainEvent, type UtilityProcess } from './emulation/main-process.ts';
import { app, fixture, inPage, nextEvent } from './helpers.ts';
import { tmpDir } from '../helpers.ts';

// Before the app is ready (this runs while the module loads, before 'ready'):
const beforeReady = {
  ready: getApp().isReady(),
  fork: (() => {
    try {
      utilityProcess.fork(fixture('utility-echo.ts'));
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  })(),
  window: (() => {
    try {
      new BrowserWindow();
    } catch (error) {
      return (error as Error).message;
    }
    return 'no error';
  })(),
};

function messages(port: MessagePortMain): Promise<{ data: unknown; ports: MessagePortMain[] }> {
  return nextEvent(port, 'message');
}

function fork(options: Parameters<typeof utilityProcess.fork>[2] = {}): UtilityProcess {
  const child = utilityProcess.fork(fixture('utility-echo.ts'), ['--flag'], options);
  return child;
}

async function ask(child: UtilityProcess, data: unknown, transfer?: MessagePortMain[]): Promise<Record<string, unknown>> {
  const reply = nextEvent<Record<string, unknown>>(child, 'message');
  if (transfer) child.postMessage(data, transfer);
  else child.postMessage(data);
  return reply;
}

test('app: not ready while the main module loads; BrowserWindow and utilityProcess.fork refuse until then', async () => {
  assert.equal(beforeReady.ready, false);
  assert.match(beforeReady.fork, /before app is ready/);
  assert.match(beforeReady.window, /before app is ready/);
  await app.whenReady();
  assert.equal(app.isReady(), true);
});

test('app: getPath(userData) is a folder under appData named after the app; setPath overrides; unknown names throw', async () => {
  await app.whenReady();
  const userData = app.getPath('userData');
  assert.equal(path.dirname(userData), app.getPath('appData'));
  assert.equal(path.basename(userData), app.getName());
  assert.ok(fs.statSync(userData).isDirectory());
  const dir = tmpDir();
  app.setPath('userData', dir);
  assert.equal(app.getPath('userData'), dir);
  assert.throws(() => app.getPath('nonsense'), /Failed to get 'nonsense' path/);
  assert.throws(() => app.setPath('userData', 'relative/dir'), /absolute/);
  assert.equal(typeof app.getVersion(), 'string');
});

test('MessagePortMain: an EventEmitter whose messages are {data, ports}, queued until start()', async () => {
  const { port1, port2 } = new MessageChannelMain();
  assert.equal(typeof port1.on, 'function');
  assert.equal('addEventListener' in port1, false);
  port1.postMessage({ n: 1 });
  port1.postMessage({ n: 2 });
  const received: unknown[] = [];
  const both = new Promise<void>((resolve) => {
    port2.on('message', (event: { data: unknown; ports: unknown[] }) => {
      received.push(event);
      if (received.length === 2) resolve();
    });
  });
  port2.start();
  await both;
  assert.deepEqual(received, [{ data: { n: 1 }, ports: [] }, { data: { n: 2 }, ports: [] }]);
  port1.close();
});

test('MessagePortMain: ports travel only in the transfer list and arrive as MessagePortMain in event.ports', async () => {
  const { port1, port2 } = new MessageChannelMain();
  const inner = new MessageChannelMain();
  assert.throws(() => port1.postMessage({ port: inner.port1 }), { message: 'An object could not be cloned.' });
  assert.throws(() => port1.postMessage({ f: () => 1 }), { message: 'An object could not be cloned.' });
  port2.start();
  const got = messages(port2);
  port1.postMessage({ hello: 'world' }, [inner.port1]);
  const event = await got;
  assert.deepEqual(event.data, { hello: 'world' });
  assert.equal(event.ports.length, 1);
  assert.ok(event.ports[0] instanceof MessagePortMain);
  // The transferred port is connected to its old peer, and the sender's copy is neutered.
  assert.equal(inner.port1.neutered, true);
  assert.throws(() => port1.postMessage(null, [inner.port1]), /neutered/);
  const through = messages(inner.port2);
  inner.port2.start();
  event.ports[0].postMessage('via the transferred port');
  assert.equal((await through).data, 'via the transferred port');
  for (const p of [port1, event.ports[0], inner.port2]) p.close();
});

test('MessagePortMain: postMessage(msg, undefined) throws a TypeError; no second argument or an array is fine', () => {
  const { port1, port2 } = new MessageChannelMain();
  assert.throws(() => port1.postMessage('x', undefined), TypeError);
  assert.throws(() => port1.postMessage('x', 'nope' as never), TypeError);
  port1.postMessage('x');
  port1.postMessage('x', []);
  port1.close();
  port2.close();
});

test('MessagePortMain: close() emits close on the port at once, and on its peer later', async () => {
  const { port1, port2 } = new MessageChannelMain();
  let local = false;
  let peer = false;
  port1.on('close', () => (local = true));
  const peerClosed = nextEvent(port2, 'close').then(() => (peer = true));
  port1.close();
  assert.equal(local, true, 'close is synchronous on the closed port');
  assert.equal(peer, false, 'the peer hears it asynchronously');
  await peerClosed;
  assert.equal(peer, true);
});

test('utilityProcess.fork: spawn, pid, process.type utility, the env replaced when given, argv, piped stdout', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'pipe', serviceName: 'echo', env: { ONLY_THIS: '1' } });
  assert.equal(child.pid, undefined, 'no pid before spawn');
  const firstLine = new Promise<string>((resolve) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += String(chunk);
      if (text.includes('\n')) resolve(text.split('\n')[0]);
    });
  });
  // Posted before the child listens: queued, then delivered.
  const info = await ask(child, { op: 'info' });
  await nextEventOrNow(child, 'spawn', () => child.pid !== undefined);
  assert.equal(typeof child.pid, 'number');
  assert.equal(info.type, 'utility');
  assert.equal(info.hasApp, false, 'a utility process has no app');
  assert.equal(info.hasIpcMain, false, 'nor ipcMain');
  assert.equal(info.hasMessageChannelMain, false, 'nor MessageChannelMain (lib/utility/api/module-list.ts)');
  assert.deepEqual(info.env, ['ONLY_THIS'], 'a non-empty env replaces the environment');
  assert.deepEqual(info.argv, ['--flag']);
  assert.equal(await firstLine, 'utility-echo started');
  const exited = nextEvent<number>(child, 'exit');
  assert.equal(child.kill(), true);
  assert.equal(await exited, 0, 'kill() is reported as exit code 0 (UtilityProcessWrapper::HandleTermination)');
  assert.equal(child.pid, undefined);
  assert.equal(child.kill(), false, 'kill() after exit reports false');
});

test('utilityProcess: without env the child inherits main\'s environment', async () => {
  await app.whenReady();
  process.env.ESD_EMULATION_PROBE = 'inherited';
  const child = fork({ stdio: 'ignore' });
  const info = await ask(child, { op: 'info' });
  assert.ok((info.env as string[]).includes('ESD_EMULATION_PROBE'));
  child.kill();
  await nextEvent(child, 'exit');
});

test('utilityProcess: parentPort messages are {data, ports}; transferred ports are MessagePortMain needing start()', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'ignore' });
  assert.deepEqual(await ask(child, { op: 'echo', value: [1, 'two'] }), { echo: [1, 'two'], ports: 0 });
  assert.throws(() => child.postMessage({ op: 'echo' }, undefined), TypeError);
  assert.throws(() => child.postMessage({ op: 'echo', value: () => 1 }), { message: 'An object could not be cloned.' });
  const { port1, port2 } = new MessageChannelMain();
  assert.deepEqual(await ask(child, { op: 'port' }, [port2]), { took: 'port' });
  port1.start();
  const reply = messages(port1);
  port1.postMessage('ping');
  assert.deepEqual((await reply).data, { got: 'ping', emitter: true });
  // The child going away closes the ports it held: the peer in main hears 'close'.
  const closed = nextEvent(port1, 'close');
  child.kill();
  await closed;
});

test('utilityProcess: an uncaught exception ends the child (exit code 1) and its stack goes to stderr', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'pipe' });
  child.stdout!.resume();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  const exited = nextEvent<number>(child, 'exit');
  child.postMessage({ op: 'crash' });
  assert.equal(await exited, 1);
  assert.match(stderr, /boom from the utility process/);
});

test('utilityProcess: process.exit(code) in the child is the exit event\'s code', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'ignore' });
  const exited = nextEvent<number>(child, 'exit');
  child.postMessage({ op: 'exit', code: 7 });
  assert.equal(await exited, 7);
});

test('webContents.postMessage reaches the preload\'s ipcRenderer with DOM ports, which the page gets via window.postMessage', async () => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: { preload: fixture('echo-preload.cjs') } });
  const events: string[] = [];
  for (const name of ['did-start-loading', 'did-start-navigation', 'dom-ready', 'did-finish-load']) win.webContents.on(name, () => events.push(name));
  await win.loadFile(fixture('echo.html'));
  assert.deepEqual(events, ['did-start-loading', 'did-start-navigation', 'dom-ready', 'did-finish-load']);
  assert.ok(webContents.getAllWebContents().includes(win.webContents));
  const { port1, port2 } = new MessageChannelMain();
  assert.throws(() => win.webContents.postMessage('echo', null, undefined), TypeError);
  assert.throws(() => win.webContents.postMessage('echo', { port: port2 }), { message: 'An object could not be cloned.' });
  win.webContents.postMessage('echo', { hello: 1 }, [port2]);
  port1.start();
  const reply = messages(port1);
  port1.postMessage('ping');
  assert.deepEqual((await reply).data, { got: 'ping', emitter: false }, 'the page answers on a DOM port (no .on)');
  assert.deepEqual(await inPage(win, 'seen'), [{ message: { hello: 1 }, portKinds: ['dom'] }]);
  // A reload is a new document: the old one's ports are gone (main's end hears 'close'), the page state is fresh.
  const closed = nextEvent(port1, 'close');
  win.webContents.reload();
  await closed;
  await nextEvent(win.webContents, 'did-finish-load');
  assert.deepEqual(await inPage(win, 'seen'), []);
  win.destroy();
});

test('webContents.postMessage: without a preload listening, the message and its ports are dropped (the peer closes)', async () => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: {} });
  await win.loadFile(fixture('echo.html'));
  const { port1, port2 } = new MessageChannelMain();
  port1.start();
  const closed = nextEvent(port1, 'close');
  win.webContents.postMessage('echo', 'nobody listens', [port2]);
  await closed;
  assert.deepEqual(await inPage(win, 'seen'), []);
  win.destroy();
});

test('dom-ready fires after the page scripts ran without waiting for their top-level await; did-finish-load waits', async () => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: { preload: fixture('echo-preload.cjs') } });
  win.webContents.once('dom-ready', () => win.webContents.postMessage('echo', 'go'));
  await win.loadFile(fixture('tla.html'));
  assert.equal(await inPage(win, 'phase'), 'after top-level await: go');
  win.destroy();
});

test('BrowserWindow.close(): close (preventable), closed, webContents destroyed; executeJavaScript after that throws', async () => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: {} });
  await win.loadFile(fixture('echo.html'));
  assert.equal(await inPage(win, '1 + 1'), 2);
  await assert.rejects(inPage(win, 'Promise.reject(new RangeError("page says no"))'), { name: 'RangeError', message: 'page says no' });
  win.once('close', (event: { preventDefault(): void }) => event.preventDefault());
  win.close();
  await nextEvent(win, 'close');
  assert.equal(win.isDestroyed(), false, 'a prevented close keeps the window');
  const order: string[] = [];
  win.on('closed', () => order.push('closed'));
  win.webContents.on('destroyed', () => order.push('destroyed'));
  const closed = nextEvent(win, 'closed');
  win.close();
  await closed;
  assert.deepEqual(order, ['destroyed', 'closed']);
  assert.equal(win.webContents.isDestroyed(), true);
  assert.throws(() => win.webContents.executeJavaScript('1'), /destroyed/);
  assert.equal(BrowserWindow.getAllWindows().includes(win), false);
});

test('safeStorage: async round trip; ciphertext hides the text; a rotated key asks to re-encrypt; a lost keychain fails', async () => {
  await app.whenReady();
  const safeStorage = getSafeStorage();
  assert.equal(await safeStorage.isAsyncEncryptionAvailable(), true);
  const secret = 'correct horse battery staple';
  const wrapped = await safeStorage.encryptStringAsync(secret);
  assert.ok(Buffer.isBuffer(wrapped));
  assert.equal(wrapped.includes(Buffer.from(secret)), false);
  assert.deepEqual(await safeStorage.decryptStringAsync(wrapped), { result: secret, shouldReEncrypt: false });
  safeStorage.rotateKey();
  assert.deepEqual(await safeStorage.decryptStringAsync(wrapped), { result: secret, shouldReEncrypt: true });
  safeStorage.resetKeychain();
  await assert.rejects(safeStorage.decryptStringAsync(wrapped), /Error while decrypting/);
  safeStorage.available = false;
  try {
    assert.equal(await safeStorage.isAsyncEncryptionAvailable(), false);
    await assert.rejects(safeStorage.encryptStringAsync('x'), /Error while encrypting the text provided to safeStorage.encryptStringAsync/);
  } finally {
    safeStorage.available = true;
  }
});

test('utilityProcess: an unhandled rejection is not fatal there (warn-with-error-code): a warning, exitCode 1, still running', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'pipe' });
  child.stdout!.resume();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  assert.deepEqual(await ask(child, { op: 'reject' }), { alive: true, exitCode: 1 });
  assert.deepEqual(await ask(child, { op: 'echo', value: 'still here' }), { echo: 'still here', ports: 0 });
  assert.match(stderr, /a rejection nobody handles/);
  child.kill();
  await nextEvent(child, 'exit');
});

test('utilityProcess: `electron` exports only the utility modules there: importing app fails to link', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'ignore' });
  const reply = await ask(child, { op: 'import-app' });
  assert.equal(reply.linked, false);
  assert.equal(reply.name, 'SyntaxError');
  assert.match(String(reply.message), /does not provide an export named 'app'/);
  child.kill();
  await nextEvent(child, 'exit');
});

test('utilityProcess: an OS process of its own: pid (also process.pid inside) is not main\'s, and is gone once exit is emitted', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'ignore' });
  const { pid } = await ask(child, { op: 'pid' });
  assert.equal(pid, child.pid);
  assert.notEqual(pid, process.pid);
  process.kill(pid as number, 0);
  child.kill();
  await nextEvent(child, 'exit');
  assert.throws(() => process.kill(pid as number, 0), { code: 'ESRCH' });
});

test('utilityProcess: killed from outside (kill -9 <pid>) it exits with the signal number', async () => {
  await app.whenReady();
  const child = fork({ stdio: 'ignore' });
  await ask(child, { op: 'echo', value: 1 });
  const exited = nextEvent<number>(child, 'exit');
  child.emulationKillProcess();
  assert.equal(await exited, 9);
});

test('DOM MessagePort: \'close\' fires in the page when main closes the other end', async () => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: { preload: fixture('echo-preload.cjs') } });
  await win.loadFile(fixture('echo.html'));
  const { port1, port2 } = new MessageChannelMain();
  win.webContents.postMessage('echo', 'a port', [port2]);
  port1.start();
  const reply = messages(port1);
  port1.postMessage('ping');
  await reply;
  port1.close();
  assert.equal(await inPage(win, 'portClosed'), 'closed');
  win.destroy();
});

test('sandboxed preload: one CommonJS script whose require knows only electron, events, timers, url', async (t) => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: { sandbox: true, preload: fixture('probe-preload.cjs') } });
  t.after(() => win.destroy());
  await win.loadFile(fixture('lazy.html'));
  assert.deepEqual(await inPage(win, 'preloadRequire'), {
    electron: 'ok', events: 'ok', 'node:events': 'ok', timers: 'ok', url: 'ok',
    fs: 'module not found: fs', path: 'module not found: path', 'node:fs': 'module not found: node:fs',
    '../../../src/index.ts': 'module not found: ../../../src/index.ts',
  });
});

test('sandboxed preload: an ES module preload does not run (so the store preload must be bundled to CommonJS)', async (t) => {
  await app.whenReady();
  // fixtures/preload.ts imports the library's preload module: fine with Node integration, not in a sandbox.
  const win = new BrowserWindow({ webPreferences: { sandbox: true, preload: fixture('preload.ts') } });
  t.after(() => win.destroy());
  await win.loadFile(fixture('lazy.html'));
  // It never ran: the page asks for a port and nobody answers.
  const failure = await inPage<{ code: string }>(win, `open('settings', 200)`);
  assert.equal(failure.code, 'TIMEOUT');
});

test('ipcMain: ipcRenderer.send reaches ipcMain.on with the sender web contents and its main frame; invoke reaches handle', async (t) => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: { sandbox: true, preload: fixture('probe-preload.cjs') } });
  t.after(() => win.destroy());
  await win.loadFile(fixture('lazy.html'));
  const got = new Promise<{ event: IpcMainEvent; args: unknown[] }>((resolve) => ipcMain.once('probe', (event: IpcMainEvent, ...args: unknown[]) => resolve({ event, args })));
  await inPage(win, `preloadIpc.send('probe', 1, { two: 2 })`);
  const { event, args } = await got;
  assert.deepEqual(args, [1, { two: 2 }]);
  assert.equal(event.sender, win.webContents);
  assert.equal(event.senderFrame, win.webContents.mainFrame);
  assert.equal(event.senderFrame!.url, win.webContents.getURL());
  assert.equal(event.senderFrame!.origin, 'file://');
  ipcMain.handle('probe-invoke', (_event: IpcMainEvent, n: unknown) => (n as number) * 2);
  t.after(() => ipcMain.removeHandler('probe-invoke'));
  assert.equal(await inPage(win, `preloadIpc.invoke('probe-invoke', 21)`), 42);
  assert.match(await inPage<string>(win, `preloadIpc.invoke('nobody-handles').catch((e) => e.message)`), /Error invoking remote method 'nobody-handles': Error: No handler registered for 'nobody-handles'/);
});

test('beforeunload: a page that cancels it keeps its window (will-prevent-unload is emitted) unless main calls preventDefault() there', async () => {
  await app.whenReady();
  const win = new BrowserWindow({ webPreferences: {} });
  await win.loadFile(fixture('lazy.html'));
  await inPage(win, `window.addEventListener('beforeunload', (e) => e.preventDefault()), 'armed'`);
  const prevented = nextEvent(win.webContents, 'will-prevent-unload');
  win.close();
  await prevented;
  assert.equal(win.isDestroyed(), false, 'the page kept its window');
  const closed = nextEvent(win, 'closed');
  win.webContents.once('will-prevent-unload', (event: { preventDefault(): void }) => event.preventDefault());
  win.close();
  await closed;
});

/** Resolves at once if `done()` already holds, else on the next `event`. */
async function nextEventOrNow(emitter: UtilityProcess, event: string, done: () => boolean): Promise<void> {
  if (done()) return;
  await nextEvent(emitter, event);
}
