/**
 * The production network: LSTM(units) over [T, F] → dense softmax over [BUY, SELL, HOLD]
 * (classes.ts order). Dropout on the LSTM output is applied by the training loop with a seeded
 * mask (train-loop.ts), not by a tfjs Dropout layer: that layer draws from Math.random, or repeats
 * one mask forever when seeded. At inference dropout is the identity, so the saved topology is
 * just the two layers.
 *
 * Size, measured on this 2-core machine with the wasm backend (T=60, F=17, batch 256, 1 thread),
 * training on the four 5m sample files (22.5k samples: 15.8k train, 3.3k validation, 3.3k test)
 * while other work kept the load average at 9-14:
 *   32 units: ~80 s per epoch, early stop after 8 epochs, 653 s in all, test macro F1 0.447
 *   16 units: ~45 s per epoch, early stop after 8 epochs, 365-407 s in all, test macro F1 0.423
 * (always-HOLD: 0.215). 16 units is the default: the same verdict at the gate for about half the
 * time, which leaves the `train` command (plus the integration's own evaluation work) well inside
 * its 15-minute budget even on a busy machine.
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

export const DEFAULT_UNITS = 16;

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
