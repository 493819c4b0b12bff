// Entry of the training worker thread. Node cannot load .ts by itself, and a worker does not see
// the TypeScript loader of its parent when that loader is vitest's or was not given through
// execArgv; so the worker registers tsx for its own thread, then loads the real worker module.
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
