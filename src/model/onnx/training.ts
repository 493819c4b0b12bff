/**
 * The training job's side of the ONNX export (serving.ts exportForArtifact): the check runs ONNX
 * Runtime on the candidate's own test windows (those it could window: the rows whose tfjs
 * probabilities are numbers) and compares with the probabilities tfjs gave in the evaluation.
 */
import type { Logger } from '../../log.ts';
import type { ArtifactBlob, ModelBytes } from '../artifact.ts';
import { NUM_CLASSES } from '../classes.ts';
import { predictSamples } from '../training-eval.ts';
import type { TrainingSet } from '../training-set.ts';
import { exportForArtifact, type OnnxRecord } from './serving.ts';

export async function exportTrainedModel(
  model: ModelBytes,
  set: TrainingSet,
  test: { samples: Int32Array; probabilities: Float32Array },
  log: Logger,
): Promise<{ blob: ArtifactBlob; record: OnnxRecord } | null> {
  const fits: number[] = [];
  const reference: number[] = [];
  for (let k = 0; k < test.samples.length; k++) {
    const row = test.probabilities.subarray(k * NUM_CLASSES, (k + 1) * NUM_CLASSES);
    if (row.every((v) => Number.isFinite(v))) {
      fits.push(test.samples[k]!);
      reference.push(...row);
    }
  }
  return exportForArtifact(model, { probabilities: Float32Array.from(reference), n: fits.length, predict: (p) => predictSamples(p, set.dataset, fits) }, log);
}
