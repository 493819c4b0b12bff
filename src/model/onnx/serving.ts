/**
 * Which runtime serves a model (INFERENCE_RUNTIME, DESIGN.md "Configuration"), and the export a
 * training stores beside its tfjs artifacts.
 *
 * At training (exportForArtifact): the trained net is exported to model.onnx, run by ONNX Runtime on
 * the model's own test windows and compared with tfjs's probabilities (check.ts). Passed: the blob
 * is stored with the others and metadata.extra.onnx records its sha256 and the check. Failed: logged,
 * nothing stored, the model serves with tfjs.
 *
 * At load (chooseRuntime): `tfjs` serves with tfjs. `auto` and `onnx` use the stored model.onnx
 * (its sha256 must match the record in metadata.json, or, for one an earlier load stored, the blob's
 * own); a model trained before the exporter existed is exported now and, once it passed the load
 * check, stored with the version's artifacts (`keep`), so the export is done once. Either way the
 * session is checked against tfjs on seeded windows before it serves. `auto` falls back to tfjs on any failure
 * (logged with the reason); `onnx` turns the failure into an error (the daemon then serves rules).
 * The serving session runs in a worker thread (worker.ts); the training's export check runs in-thread.
 * The choice is logged, kept for `doctor` and /v1/status (servingRuntime), and exported as the
 * gauge inference_runtime_info{runtime}.
 */
import { Gauge } from 'prom-client';
import type { Logger } from '../../log.ts';
import { registry } from '../../metrics.ts';
import { sha256Hex, type ArtifactBlob, type ArtifactMetadata, type ModelBytes } from '../artifact.ts';
import type { WindowPredictor } from '../batcher.ts';
import { describeError } from '../../errors.ts';
import { compareOutputs, requirePassed, seededWindows, type OnnxCheckResult } from './check.ts';
import { OnnxError } from './errors.ts';
import { EXPORTER_VERSION, exportOnnx, ONNX_OPSET } from './export.ts';
import { onnxPredictor, ortVersion, type OnnxPredictor } from './runtime.ts';
import { onnxWorkerPredictor } from './worker.ts';

export type InferenceRuntimePreference = 'auto' | 'onnx' | 'tfjs';
export type InferenceRuntime = 'onnx' | 'tfjs';
export const ONNX_ARTIFACT = 'model.onnx';
/** Seeded windows checked at load. */
const LOAD_CHECK_WINDOWS = 64;

/** metadata.extra.onnx of a model whose export passed the check at training. */
export interface OnnxRecord {
  sha256: string;
  exporter: number;
  opset: number;
  ort: string | null;
  check: OnnxCheckResult;
}

const runtimeInfo =
  (registry.getSingleMetric('inference_runtime_info') as Gauge<'runtime'> | undefined) ??
  new Gauge({ name: 'inference_runtime_info', help: 'The runtime serving the model (1 for the active one): onnx or tfjs', labelNames: ['runtime'], registers: [registry] });

export interface RuntimeChoice {
  runtime: InferenceRuntime;
  preference: InferenceRuntimePreference;
  version: string;
  /** Why this runtime, in words. */
  reason: string;
}

let serving: RuntimeChoice | null = null;

/** The runtime the last loaded model serves with (null before any model loaded in this process). */
export function servingRuntime(): RuntimeChoice | null {
  return serving;
}

function note(choice: RuntimeChoice, log?: Logger): void {
  serving = choice;
  runtimeInfo.reset();
  runtimeInfo.set({ runtime: choice.runtime }, 1);
  log?.info({ version: choice.version, runtime: choice.runtime, preference: choice.preference, reason: choice.reason }, `model ${choice.version} serves with ${choice.runtime === 'onnx' ? 'ONNX Runtime' : 'tfjs'}: ${choice.reason}`);
}

/**
 * Exports a freshly trained model and checks it on its test windows: `reference` holds tfjs's
 * probabilities [n, 3] for the windows `predict` feeds (the same windows, through the given predictor).
 * Resolves null (logged) when the export or the check fails: the model then serves with tfjs.
 */
export async function exportForArtifact(
  bytes: ModelBytes,
  reference: { probabilities: Float32Array; n: number; predict: (p: WindowPredictor) => Promise<Float32Array> },
  log: Logger,
): Promise<{ blob: ArtifactBlob; record: OnnxRecord } | null> {
  let session: OnnxPredictor | null = null;
  try {
    const { onnx, shape } = exportOnnx(bytes);
    session = await onnxPredictor(onnx, shape);
    const check = requirePassed(compareOutputs(reference.probabilities, await reference.predict(session), reference.n, 'test_window'));
    const sha256 = sha256Hex(onnx);
    const record: OnnxRecord = { sha256, exporter: EXPORTER_VERSION, opset: ONNX_OPSET, ort: await ortVersion(), check };
    log.info({ onnx: record }, `ONNX export checked on ${check.windows} test windows (max |diff| ${check.maxAbsDiff.toExponential(2)})`);
    return { blob: { name: ONNX_ARTIFACT, contentType: 'application/octet-stream', bytes: onnx, sha256 }, record };
  } catch (err) {
    log.warn({ err }, `ONNX export failed, the model will serve with tfjs: ${describeError(err)}`);
    return null;
  } finally {
    await session?.release();
  }
}

function recordOf(metadata: ArtifactMetadata): OnnxRecord | null {
  const r = metadata.extra.onnx as Partial<OnnxRecord> | undefined;
  return r && typeof r.sha256 === 'string' && r.check ? (r as OnnxRecord) : null;
}

export interface ChooseRuntimeInput {
  version: string;
  preference: InferenceRuntimePreference;
  blobs: readonly ArtifactBlob[];
  metadata: ArtifactMetadata;
  /** The verified tfjs model as a predictor: the fallback and the reference of the load check. */
  tfjs: WindowPredictor;
  /**
   * Stores an export made at this load (it passed the load check) with the version's artifacts, so
   * the next load reads it instead of exporting again. A failure is logged; the model still serves.
   */
  keep?: (blob: ArtifactBlob) => Promise<void>;
  log?: Logger;
}

export interface ServingPredictor {
  predictor: WindowPredictor;
  choice: RuntimeChoice;
  /** Frees the ONNX session (nothing for tfjs: the caller owns that model). */
  release(): Promise<void>;
}

/** Where model.onnx comes from for one load: the training's checked export, an earlier load's, or none yet. */
function storedOnnx(blobs: readonly ArtifactBlob[], metadata: ArtifactMetadata): { onnx: Uint8Array; origin: string } | null {
  const stored = blobs.find((b) => b.name === ONNX_ARTIFACT);
  if (!stored) return null;
  const record = recordOf(metadata);
  // A training's export is recorded in metadata.json; one stored by an earlier load carries its sha256 on the blob only.
  const expected = record?.sha256 ?? stored.sha256;
  if (sha256Hex(stored.bytes) !== expected) {
    throw new OnnxError('ONNX_CHECK_FAILED', `${ONNX_ARTIFACT} does not match the sha256 recorded ${record ? 'in metadata.json' : 'with it'}`, { recorded: expected });
  }
  return {
    onnx: stored.bytes,
    origin: record ? `stored ${ONNX_ARTIFACT} (checked at training on ${record.check.windows} test windows)` : `stored ${ONNX_ARTIFACT} (exported at an earlier load)`,
  };
}

async function onnxFor(input: ChooseRuntimeInput): Promise<{ predictor: OnnxPredictor; reason: string; exported: ArtifactBlob | null }> {
  const { blobs, metadata, tfjs } = input;
  let source = storedOnnx(blobs, metadata);
  let exported: ArtifactBlob | null = null;
  if (!source) {
    const json = blobs.find((b) => b.name === 'model.json');
    const bin = blobs.find((b) => b.name === 'weights.bin');
    if (!json || !bin) throw new OnnxError('ONNX_EXPORT_FAILED', 'the artifact has no model.json/weights.bin to export');
    const onnx = exportOnnx({ modelJson: json.bytes, weightsBin: bin.bytes }).onnx;
    exported = { name: ONNX_ARTIFACT, contentType: 'application/octet-stream', bytes: onnx, sha256: sha256Hex(onnx) };
    source = { onnx, origin: `exported on load (the model predates ${ONNX_ARTIFACT})` };
  }
  // Serving runs the session in a worker thread (worker.ts): the tick loop's thread stays free meanwhile.
  const predictor = await onnxWorkerPredictor(source.onnx, { timesteps: tfjs.timesteps, features: tfjs.features });
  try {
    const windows = seededWindows(LOAD_CHECK_WINDOWS, tfjs.timesteps, tfjs.features);
    const check = requirePassed(
      compareOutputs(await tfjs.predict(windows, LOAD_CHECK_WINDOWS), await predictor.predict(windows, LOAD_CHECK_WINDOWS), LOAD_CHECK_WINDOWS, 'seeded'),
    );
    return { predictor, reason: `${source.origin}; equal to tfjs on ${check.windows} seeded windows (max |diff| ${check.maxAbsDiff.toExponential(2)})`, exported };
  } catch (err) {
    await predictor.release();
    throw err;
  }
}

/** Picks the serving predictor for a verified model (see the header). */
export async function chooseRuntime(input: ChooseRuntimeInput): Promise<ServingPredictor> {
  const { version, preference, tfjs, log } = input;
  const tfjsChoice = (reason: string): ServingPredictor => {
    const choice = { runtime: 'tfjs' as const, preference, version, reason };
    note(choice, log);
    return { predictor: tfjs, choice, release: async () => {} };
  };
  if (preference === 'tfjs') return tfjsChoice('INFERENCE_RUNTIME=tfjs');
  try {
    const { predictor, reason, exported } = await onnxFor(input);
    if (exported && input.keep) {
      await input.keep(exported).then(
        () => log?.info({ version, sha256: exported.sha256 }, `model ${version}: ${ONNX_ARTIFACT} exported on load and stored with its artifacts (later loads read it)`),
        (err: unknown) => log?.warn({ err, version }, `model ${version}: the ${ONNX_ARTIFACT} exported on load could not be stored (${describeError(err)}); the next load exports it again`),
      );
    }
    const choice = { runtime: 'onnx' as const, preference, version, reason };
    note(choice, log);
    return { predictor, choice, release: () => predictor.release() };
  } catch (err) {
    if (preference === 'onnx') {
      throw err instanceof OnnxError ? err : new OnnxError('ONNX_RUNTIME_UNAVAILABLE', `INFERENCE_RUNTIME=onnx but model ${version} cannot serve with ONNX Runtime: ${describeError(err)}`, { version }, err);
    }
    log?.warn({ err, version }, `model ${version} cannot serve with ONNX Runtime (${describeError(err)}); serving with tfjs`);
    return tfjsChoice(`ONNX Runtime unavailable for this model: ${describeError(err)}`);
  }
}

/** What `doctor` says about the serving runtime: the preference and whether ONNX Runtime loads here. */
export async function checkInferenceRuntime(preference: InferenceRuntimePreference): Promise<{ ok: boolean; detail: string }> {
  if (preference === 'tfjs') return { ok: true, detail: 'INFERENCE_RUNTIME=tfjs: models serve with tfjs' };
  const version = await ortVersion();
  if (version === null) {
    const detail = 'onnxruntime-node cannot load on this platform';
    return preference === 'onnx' ? { ok: false, detail: `INFERENCE_RUNTIME=onnx but ${detail}` } : { ok: true, detail: `${detail}: models serve with tfjs (INFERENCE_RUNTIME=auto)` };
  }
  const s = servingRuntime();
  const now = s ? `; model ${s.version} serves with ${s.runtime}: ${s.reason}` : '';
  return { ok: true, detail: `onnxruntime-node ${version} loads (INFERENCE_RUNTIME=${preference}): models with a checked export serve with ONNX Runtime${now}` };
}
