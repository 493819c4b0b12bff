/**
 * The production network: LSTM(units) over [T, F] → dense softmax over [BUY, SELL, HOLD]
 * (classes.ts order). Dropout on the LSTM output is applied by the training loop with a seeded
 * mask (train-loop.ts), not by a tfjs Dropout layer: that layer draws from Math.random, or repeats
 * one mask forever when seeded. At inference dropout is the identity, so the saved topology is
 * just the two layers.
 *
 * Size, measured on this 2-core machine with the wasm backend (T=60, F=17, batch 256, 1 thread,
 * other work running): one training batch takes ~0.35 s with 16 units, ~0.7-0.95 s with 32,
 * ~1.7 s with 64. With 32 units an epoch over the four 5m files (15.7k training windows, 2.9k
 * validation) took 34-68 s depending on the machine's load, so the run (≤ 10 epochs, train-loop.ts)
 * stays inside 15 minutes with the other core left to the live loop.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from './classes.ts';
import { deriveSeed } from './seed.ts';

export interface LstmShape {
  timesteps: number;
  features: number;
  units: number;
}

export const DEFAULT_UNITS = 32;

/** Builds the network with every initializer seeded from the run seed (hash(seed, component)). */
export function buildLstm(shape: LstmShape, runSeed: number): tf.Sequential {
  const seed = (component: string) => deriveSeed(runSeed, component);
  return tf.sequential({
    name: 'signalbase_lstm',
    layers: [
      tf.layers.lstm({
        name: 'lstm',
        units: shape.units,
        inputShape: [shape.timesteps, shape.features],
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed('lstm.kernel') }),
        // Glorot rather than the Keras orthogonal default: tfjs's orthogonal initializer writes a
        // console warning for any matrix above 2000 values, and this net trains well either way.
        recurrentInitializer: tf.initializers.glorotUniform({ seed: seed('lstm.recurrent') }),
        biasInitializer: 'zeros',
      }),
      tf.layers.dense({
        name: 'probs',
        units: NUM_CLASSES,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed('dense.kernel') }),
        biasInitializer: 'zeros',
      }),
    ],
  });
}

/** The shape a model expects, read from its input layer. */
export function modelShape(model: tf.LayersModel): { timesteps: number; features: number } {
  const shape = model.inputs[0]!.shape;
  const timesteps = shape[1];
  const features = shape[2];
  if (typeof timesteps !== 'number' || typeof features !== 'number') {
    throw new TypeError(`model input shape ${JSON.stringify(shape)} is not [batch, T, F]`);
  }
  return { timesteps, features };
}

/**
 * sha256 (hex) of the concatenated weight bytes (float32, platform byte order: little-endian on
 * every machine we run on), in layer order and, within a layer, in tfjs's weight order
 * (LSTM kernel, recurrent kernel, bias; dense kernel, bias). The same bytes as weights.bin.
 */
export function weightsSha256(model: tf.LayersModel): string {
  const h = createHash('sha256');
  for (const w of model.weights) {
    const data = w.read().dataSync() as Float32Array;
    h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return h.digest('hex');
}
