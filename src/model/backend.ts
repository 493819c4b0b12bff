/**
 * Which tfjs backend runs the model (DESIGN.md "Configuration", TFJS_BACKEND).
 * `auto` tries @tensorflow/tfjs-node (native TensorFlow, an optional dependency the Docker image
 * has), then @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD; single-threaded in Node), then the
 * plain-JS cpu backend. An explicit choice that cannot load is a BackendError, never a silent
 * fallback. Everything imports '@tensorflow/tfjs': tfjs-node registers into that same core, so
 * the process holds one tfjs instance. Each worker thread has its own and calls initBackend itself.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Gauge } from 'prom-client';
import type { Logger } from '../log.ts';
import { registry } from '../metrics.ts';
import { BackendError } from './errors.ts';

export type BackendPreference = 'auto' | 'node' | 'wasm' | 'cpu';
export type BackendName = 'node' | 'wasm' | 'cpu';

/** tfjs's own name for each backend. */
const TFJS_NAME: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };
const ORDER: BackendName[] = ['node', 'wasm', 'cpu'];
// A variable, so TypeScript does not try to resolve a package that is optional and absent here.
const TFJS_NODE_PACKAGE = '@tensorflow/tfjs-node';

const backendInfo =
  (registry.getSingleMetric('tfjs_backend_info') as Gauge<'backend'> | undefined) ??
  new Gauge({
    name: 'tfjs_backend_info',
    help: 'The tfjs backend this process runs models on (1 for the active one)',
    labelNames: ['backend'],
    registers: [registry],
  });

export interface BackendDescription {
  preference: BackendPreference;
  /** null until initBackend has run. */
  backend: BackendName | null;
  tfjsVersion: string;
  /** Why each backend tried before the chosen one was skipped. */
  skipped: Array<{ backend: BackendName; reason: string }>;
  /** wasm only: SIMD and thread support as tfjs detected them. */
  wasm?: { simd: boolean; multithread: boolean };
}

let state: { pref: BackendPreference; name: BackendName; skipped: BackendDescription['skipped'] } | null = null;
let pending: Promise<BackendName> | null = null;

async function tryBackend(name: BackendName): Promise<void> {
  if (name === 'node') {
    await import(TFJS_NODE_PACKAGE);
  } else if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the wasm binaries are read from disk: point tfjs at the package's dist folder.
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  }
  const ok = await tf.setBackend(TFJS_NAME[name]);
  if (!ok) throw new Error(`tf.setBackend('${TFJS_NAME[name]}') reported failure`);
  await tf.ready();
}

/**
 * Selects the backend once per thread and returns its name. Later calls return the same choice
 * (the preference of the first call wins: a process has one backend).
 */
export async function initBackend(pref: BackendPreference, log?: Logger): Promise<BackendName> {
  if (state) return state.name;
  pending ??= (async () => {
    // Production mode: no debug checks, no console banner from the cpu backend.
    tf.enableProdMode();
    const candidates = pref === 'auto' ? ORDER : [pref];
    const skipped: BackendDescription['skipped'] = [];
    for (const name of candidates) {
      try {
        await tryBackend(name);
        state = { pref, name, skipped };
        backendInfo.reset();
        backendInfo.set({ backend: name }, 1);
        log?.info({ backend: name, preference: pref, skipped }, `tfjs backend: ${name}`);
        return name;
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        skipped.push({ backend: name, reason });
        if (pref !== 'auto') {
          throw new BackendError(
            `TFJS_BACKEND=${pref} but the ${name} backend cannot load (${reason}); install ${
              name === 'node' ? TFJS_NODE_PACKAGE : '@tensorflow/tfjs-backend-wasm'
            } or set TFJS_BACKEND=auto`,
            { preference: pref },
            err,
          );
        }
        log?.debug({ backend: name, reason }, 'tfjs backend unavailable, trying the next one');
      }
    }
    throw new BackendError('no tfjs backend could be loaded', { preference: pref, skipped });
  })();
  try {
    return await pending;
  } finally {
    pending = null;
  }
}

/** The current backend name; throws if initBackend has not run (a wiring bug). */
export function currentBackend(): BackendName {
  if (!state) throw new BackendError('the tfjs backend is not initialised: call initBackend first');
  return state.name;
}

/** What `doctor` prints about the model runtime. */
export function describeBackend(): BackendDescription {
  const d: BackendDescription = {
    preference: state?.pref ?? 'auto',
    backend: state?.name ?? null,
    tfjsVersion: tf.version.tfjs,
    skipped: state?.skipped ?? [],
  };
  if (state?.name === 'wasm') {
    d.wasm = { simd: Boolean(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')), multithread: Boolean(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')) };
  }
  return d;
}

/** One line for `doctor`, e.g. "wasm (tfjs 4.22.0, SIMD, 1 thread; skipped node: Cannot find package ...)". */
export function backendSummary(d: BackendDescription = describeBackend()): string {
  if (!d.backend) return `not initialised (TFJS_BACKEND=${d.preference})`;
  const extras = [`tfjs ${d.tfjsVersion}`];
  if (d.wasm) extras.push(d.wasm.simd ? 'SIMD' : 'no SIMD', d.wasm.multithread ? 'multi-threaded' : '1 thread');
  const skipped = d.skipped.map((s) => `skipped ${s.backend}: ${s.reason}`);
  return `${d.backend} (${[...extras, ...skipped].join('; ')})`;
}

/**
 * The doctor check's body: loads the configured backend (if not loaded yet) and describes it.
 * Register it from the CLI with registerDoctorCheck({ name: 'tfjs backend', run: (r) => checkBackend(r.config.tfjsBackend) }).
 */
export async function checkBackend(pref: BackendPreference, log?: Logger): Promise<{ ok: boolean; detail: string }> {
  try {
    await initBackend(pref, log);
    return { ok: true, detail: backendSummary() };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  }
}
