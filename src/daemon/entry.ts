/**
 * The daemon's entry file: main forks it as a utility process or starts it as a worker. Finds its host and serves.
 */
import { Daemon } from './daemon.ts';
import { electronHost } from './host/electron-host.ts';
import { workerHost } from './host/worker-host.ts';

const host = electronHost() ?? workerHost();
if (!host) {
  console.error('electron-store-daemon: the daemon entry must be started by startStoreDaemon() (utility process or worker).');
  process.exitCode = 1;
} else {
  new Daemon(host).listen();
}
