/**
 * First module of every emulated child process (a worker thread started by main-process.ts): marks the process
 * type, makes `electron` resolve to the emulation, then becomes a utility process or a renderer.
 */
import { workerData } from 'node:worker_threads';
import type { ChildData } from './main-process.ts';
import { markProcess, registerHooks } from './setup.ts';

const data = workerData as ChildData;
markProcess(data.kind);
// A utility process is an OS process of its own in Electron: its pid is that of the OS process standing in for it.
if (data.kind === 'utility') Object.defineProperty(process, 'pid', { value: data.pid, enumerable: true });
registerHooks(data.kind);
if (data.kind === 'utility') await (await import('./utility.ts')).runUtility(data);
else await (await import('./renderer.ts')).runRenderer(data);
