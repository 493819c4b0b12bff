/**
 * Exports the production network (lstm.ts: LSTM(units) over [T, F] → dense softmax over
 * [BUY, SELL, HOLD]) from its tfjs artifact bytes (model.json + weights.bin) to an ONNX model,
 * without tfjs: the topology and weights are read from the saved JSON and float32 blob.
 *
 * The graph (opset 17, IR 8):
 *   windows [batch, T, F] → Transpose(1,0,2) → [T, batch, F]  (ORT's CPU LSTM has no layout=1)
 *   → LSTM(hidden U; activations of the Keras layer) → Y_h [1, batch, U] → Squeeze(0) → [batch, U]
 *   → Gemm(dense kernel [U, 3], bias) → Softmax(axis 1) → probs [batch, 3]
 * Keras/tfjs keeps the four gates of its kernel [F, 4U], recurrent kernel [U, 4U] and bias [4U]
 * in the order i, f, c, o; ONNX's W [1, 4U, F], R [1, 4U, U] and B [1, 8U] want i, o, f, c
 * (and a second, recurrent bias, which Keras does not have: zeros). tfjs's hard_sigmoid is
 * clip(0.2·x + 0.5, 0, 1) (tfjs-layers backend/tfjs_backend.ts), ONNX's HardSigmoid with
 * alpha 0.2 and beta 0.5 is the same function.
 */
import type { ModelBytes } from '../artifact.ts';
import { OnnxError } from './errors.ts';
import { encodeModel, ONNX_FLOAT, type NodeSpec } from './protobuf.ts';

export const ONNX_OPSET = 17;
export const ONNX_INPUT = 'windows';
export const ONNX_OUTPUT = 'probs';
/** Bumped whenever the exported graph changes, so a stored export can be told apart. */
export const EXPORTER_VERSION = 1;

interface LayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** What the export reads from model.json, checked. */
export interface ExportedShape {
  timesteps: number;
  features: number;
  units: number;
  classes: number;
  recurrentActivation: 'hard_sigmoid' | 'sigmoid';
}

const fail = (message: string, context: Record<string, unknown> = {}, cause?: unknown) => new OnnxError('ONNX_EXPORT_FAILED', `ONNX export: ${message}`, context, cause);

function parseTopology(modelJson: Uint8Array): { lstm: LayerJson; dense: LayerJson; specs: { name: string; shape: number[] }[] } {
  let json: { modelTopology?: { config?: { layers?: LayerJson[] } }; weightsManifest?: { weights: { name: string; shape: number[]; dtype?: string }[] }[] };
  try {
    json = JSON.parse(new TextDecoder().decode(modelJson)) as typeof json;
  } catch (err) {
    throw fail('model.json is not JSON', {}, err);
  }
  const layers = json.modelTopology?.config?.layers ?? [];
  const classes = layers.map((l) => l.class_name);
  if (classes.length !== 2 || classes[0] !== 'LSTM' || classes[1] !== 'Dense') {
    throw fail(`the net is [${classes.join(', ')}], not [LSTM, Dense]: this exporter knows only the production network`);
  }
  const specs = (json.weightsManifest ?? []).flatMap((g) => g.weights);
  const bad = specs.find((s) => (s.dtype ?? 'float32') !== 'float32');
  if (bad) throw fail(`weight ${bad.name} is ${bad.dtype}, not float32`);
  return { lstm: layers[0]!, dense: layers[1]!, specs };
}

function checkLayers(lstm: LayerJson, dense: LayerJson): ExportedShape {
  const c = lstm.config;
  const shape = c.batch_input_shape as unknown[] | undefined;
  const timesteps = shape?.[1];
  const features = shape?.[2];
  if (typeof timesteps !== 'number' || typeof features !== 'number') throw fail(`LSTM input shape ${JSON.stringify(shape)} is not [batch, T, F]`);
  const units = c.units;
  if (typeof units !== 'number' || !(units > 0)) throw fail(`LSTM units ${String(units)}`);
  const rec = c.recurrent_activation;
  if (rec !== 'hard_sigmoid' && rec !== 'sigmoid') throw fail(`LSTM recurrent activation ${String(rec)} has no ONNX counterpart here`);
  const unsupported: [string, unknown, unknown][] = [
    ['activation', c.activation, 'tanh'],
    ['use_bias', c.use_bias, true],
    ['return_sequences', c.return_sequences, false],
    ['go_backwards', c.go_backwards, false],
    ['stateful', c.stateful, false],
  ];
  for (const [name, got, want] of unsupported) if (got !== want) throw fail(`LSTM ${name} is ${JSON.stringify(got)}, the exporter handles ${JSON.stringify(want)}`);
  if (dense.config.activation !== 'softmax' || dense.config.use_bias !== true) throw fail('the dense layer is not a biased softmax');
  const classes = dense.config.units;
  if (typeof classes !== 'number') throw fail('dense units missing');
  return { timesteps, features, units, classes, recurrentActivation: rec };
}

/** Reorders Keras's i, f, c, o gate blocks (columns of a [rows, 4U] matrix) to ONNX's i, o, f, c rows of [4U, rows]. */
function gatesToOnnx(m: Float32Array, rows: number, units: number): Float32Array {
  const KERAS_INDEX = [0, 3, 1, 2]; // ONNX gate g (i, o, f, c) is Keras gate KERAS_INDEX[g]
  const out = new Float32Array(4 * units * rows);
  for (let g = 0; g < 4; g++) {
    const k = KERAS_INDEX[g]!;
    for (let u = 0; u < units; u++) {
      for (let r = 0; r < rows; r++) out[(g * units + u) * rows + r] = m[r * 4 * units + k * units + u]!;
    }
  }
  return out;
}

/** The ONNX model (serialized ModelProto) of a tfjs artifact, and the shape it was read with. */
export function exportOnnx(bytes: ModelBytes): { onnx: Uint8Array; shape: ExportedShape } {
  const { lstm, dense, specs } = parseTopology(bytes.modelJson);
  const shape = checkLayers(lstm, dense);
  const { timesteps: T, features: F, units: U, classes: C } = shape;
  const expected = [
    [F, 4 * U],
    [U, 4 * U],
    [4 * U],
    [U, C],
    [C],
  ];
  if (specs.length !== expected.length || specs.some((s, i) => s.shape.join() !== expected[i]!.join())) {
    throw fail(`weight shapes [${specs.map((s) => `[${s.shape.join(', ')}]`).join(', ')}] are not the LSTM(${U}) → Dense(${C}) ones`);
  }
  const floats = new Float32Array(bytes.weightsBin.byteLength / 4);
  new Uint8Array(floats.buffer).set(bytes.weightsBin);
  const parts: Float32Array[] = [];
  let at = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (at + n > floats.length) throw fail('weights.bin is shorter than model.json says', { bytes: bytes.weightsBin.byteLength });
    parts.push(floats.subarray(at, at + n));
    at += n;
  }
  const [kernel, recurrent, bias, denseKernel, denseBias] = parts as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const B = new Float32Array(8 * U);
  B.set(gatesToOnnx(bias, 1, U)); // the recurrent half (R_b) stays zero

  const gate = shape.recurrentActivation === 'hard_sigmoid' ? 'HardSigmoid' : 'Sigmoid';
  const nodes: NodeSpec[] = [
    { op: 'Transpose', name: 'to_time_major', inputs: [ONNX_INPUT], outputs: ['x_tnf'], attributes: [{ name: 'perm', ints: [1, 0, 2] }] },
    {
      op: 'LSTM',
      name: 'lstm',
      inputs: ['x_tnf', 'lstm_W', 'lstm_R', 'lstm_B'],
      outputs: ['', 'lstm_Y_h'],
      attributes: [
        { name: 'hidden_size', int: U },
        { name: 'direction', string: 'forward' },
        { name: 'activations', strings: [gate, 'Tanh', 'Tanh'] },
        // Only HardSigmoid takes parameters; Sigmoid and Tanh consume none.
        ...(gate === 'HardSigmoid' ? [{ name: 'activation_alpha', floats: [0.2] }, { name: 'activation_beta', floats: [0.5] }] : []),
      ],
    },
    { op: 'Squeeze', name: 'drop_direction', inputs: ['lstm_Y_h', 'squeeze_axes'], outputs: ['h'] },
    { op: 'Gemm', name: 'dense', inputs: ['h', 'dense_W', 'dense_B'], outputs: ['logits'] },
    { op: 'Softmax', name: 'softmax', inputs: ['logits'], outputs: [ONNX_OUTPUT], attributes: [{ name: 'axis', int: 1 }] },
  ];
  const onnx = encodeModel({
    irVersion: 8,
    opset: ONNX_OPSET,
    producer: { name: 'signalbase', version: String(EXPORTER_VERSION) },
    doc: `LSTM(${U}) over [${T}, ${F}] windows → softmax over ${C} classes, exported from tfjs`,
    graph: {
      name: 'signalbase_lstm',
      nodes,
      initializers: [
        { name: 'lstm_W', dims: [1, 4 * U, F], data: gatesToOnnx(kernel, F, U) },
        { name: 'lstm_R', dims: [1, 4 * U, U], data: gatesToOnnx(recurrent, U, U) },
        { name: 'lstm_B', dims: [1, 8 * U], data: B },
        { name: 'squeeze_axes', dims: [1], data: new BigInt64Array([0n]) },
        { name: 'dense_W', dims: [U, C], data: Float32Array.from(denseKernel) },
        { name: 'dense_B', dims: [C], data: Float32Array.from(denseBias) },
      ],
      inputs: [{ name: ONNX_INPUT, elemType: ONNX_FLOAT, shape: ['batch', T, F] }],
      outputs: [{ name: ONNX_OUTPUT, elemType: ONNX_FLOAT, shape: ['batch', C] }],
    },
  });
  return { onnx, shape };
}
