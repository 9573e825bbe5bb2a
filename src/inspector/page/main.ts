/**
 * The inspector page. In Electron (`daemon.openInspector()`) it is a window with the package's preload and gets its
 * port like any window; served (`npx electron-store-daemon inspect`, or `openInspector()` outside Electron) it talks
 * through a WebSocket to the local server, which relays to a daemon port. Either way it is a client like any other:
 * `connectStore()` on that port, under the policy main granted it.
 */
import { connectStore, storeNames, type ConnectOptions } from '../../client-renderer/index.ts';
import { h, replace } from './dom.ts';
import { Feed } from './feed.ts';
import { StorePanel } from './panel.ts';
import { describeError } from './tabs.ts';
import { webSocketPort } from './ws-port.ts';

function status(text: string, bad = false): void {
  const el = document.getElementById('status');
  if (el) replace(el, h('span', { class: bad ? 'bad' : 'ok', testid: 'status' }, text));
}

async function boot(): Promise<void> {
  const storesEl = document.getElementById('stores')!;
  const feed = new Feed();
  document.getElementById('side')!.appendChild(feed.el);
  let options: ConnectOptions = {};
  if (location.protocol !== 'file:') {
    const port = webSocketPort(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/port`);
    port.onClose(() => status('Disconnected from the daemon (it stopped, or the inspect command ended). Start it again and open its new link.', true));
    options = { port };
  }
  const names = await storeNames(options);
  const panels: StorePanel[] = [];
  for (const name of names) {
    try {
      const client = await connectStore(name, options);
      const panel = new StorePanel(client);
      panels.push(panel);
      storesEl.appendChild(panel.el);
      client.onDidAnyChange((_n, _o, change) => {
        feed.add(name, change);
        panel.changed();
      });
    } catch (error) {
      storesEl.appendChild(h('article', { class: 'store' }, h('h2', {}, name), h('p', { class: 'bad' }, describeError(error))));
    }
  }
  status(`Connected · ${names.length} store${names.length === 1 ? '' : 's'}`);
  const sampleAll = () => {
    for (const p of panels) p.sample().catch((error: unknown) => p.notify(`info() failed: ${describeError(error)}`, true));
  };
  sampleAll();
  setInterval(sampleAll, 1000);
}

boot().catch((error: unknown) => status(`Could not connect: ${describeError(error)}`, true));
