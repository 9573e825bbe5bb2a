/**
 * The daemon's entry file: main forks it as a utility process or starts it as a worker. Finds its host and serves.
 *
 * Whatever goes wrong outside a request is fatal and said so: an uncaught exception or an unhandled rejection is
 * reported to main (an 'error' event there, with the stack) and ends the daemon with exit code 1, so the supervisor
 * restarts it. In an Electron utility process an unhandled rejection would otherwise only print a warning (Electron
 * runs Node there with --unhandled-rejections=warn-with-error-code) and leave a daemon that may never answer again.
 */
import { GATE_ARG } from '../protocol/control.ts';
import { serveGate } from '../gate/gate.ts';
import { Daemon } from './daemon.ts';
import { describe, reportFatal } from './host/host.ts';
import { electronHost } from './host/electron-host.ts';
import { workerHost } from './host/worker-host.ts';

const host = electronHost() ?? workerHost();
if (!host) {
  console.error('electron-store-daemon: the daemon entry must be started by startStoreDaemon() (utility process or worker).');
  process.exitCode = 1;
} else {
  let fatal = false;
  const onFatal = (what: string) => (error: unknown) => {
    if (fatal) return;
    fatal = true;
    reportFatal(host, 'DAEMON_UNAVAILABLE', `The store daemon stopped after ${what}: ${describe(error)}`);
  };
  process.on('uncaughtException', onFatal('an uncaught exception'));
  process.on('unhandledRejection', onFatal('an unhandled promise rejection'));
  // The same entry serves as the gate for windows' ports (src/gate), so an app that bundles it ships one file.
  if (process.argv.includes(GATE_ARG)) serveGate(host);
  else new Daemon(host).listen();
}
