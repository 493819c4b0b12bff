// Entry of the embedded store's worker thread (pglite-worker.ts). Node cannot load .ts by itself,
// and a worker does not see the TypeScript loader of its parent when that loader is vitest's or
// was not given through execArgv; so the worker registers tsx for its own thread (as the training
// worker does, model/train-worker-entry.mjs), then loads the real worker module.
import { register } from 'tsx/esm/api';

register();
await import('./pglite-worker.ts');
