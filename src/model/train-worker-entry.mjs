// Entry of the training worker thread. Node cannot load .ts by itself, and a worker does not see
// the TypeScript loader of its parent when that loader is vitest's or was not given through
// execArgv; so the worker registers tsx for its own thread, then loads the real worker module.
//
// First of all the thread lowers its own scheduling priority (workerData.niceness, trainer.ts):
// on a machine with few cores a fit competes for CPU with the live loop of the same process, and
// the live loop's latency matters while a training only needs to finish. Linux keeps a nice value
// per thread (setpriority on the thread id); elsewhere, or when refused, the thread keeps its
// priority. Before tsx and tfjs load: their start-up is a CPU burst of its own.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

function lowerThreadPriority(niceness) {
  if (!niceness) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, niceness);
  } catch {
    // not Linux, or not allowed: the fit runs at the process's priority
  }
}

lowerThreadPriority(workerData?.niceness);
register();
await import('./train-worker.ts');
