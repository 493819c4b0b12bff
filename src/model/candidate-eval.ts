/**
 * The new model's own figures, as the live policy will serve it: its selective rule (temperature
 * and threshold, model/selective.ts) is fitted on the VALIDATION window, then the test window is
 * scored with that rule, never the other way round. Also the calibration of its test window
 * (before and after the temperature) and its net expectancy for the gate.
 */
import { calibrationReport, type CalibrationReport } from './calibration.ts';
import type { WindowPredictor } from './batcher.ts';
import type { Evaluation } from './evaluate.ts';
import { tradeReturns } from './evaluate.ts';
import { expectancyBound, type ExpectancyBound } from './expectancy.ts';
import { fitSelection, type FittedSelection } from './selective.ts';
import { evaluationBase, scoreModel, type PredictOptions } from './training-eval.ts';
import type { TrainingSet } from './training-set.ts';

export interface CandidateEvaluation {
  evaluation: Evaluation;
  /** Calibrated test-window softmax rows (what its signals show). */
  probabilities: Float32Array;
  /** The network's own test-window softmax rows, before calibration (what an ONNX export must reproduce). */
  rawProbabilities: Float32Array;
  selection: FittedSelection;
  calibration: { test: CalibrationReport; testUncalibrated: CalibrationReport; validation: CalibrationReport };
  expectancy: ExpectancyBound;
}

export interface CandidateOptions extends PredictOptions {
  /** Fit a temperature on validation (default true); false keeps T = 1. */
  temperature?: boolean;
}

export async function evaluateCandidate(set: TrainingSet, predictor: WindowPredictor, opts: CandidateOptions = {}): Promise<CandidateEvaluation> {
  const { val, test } = set.split;
  const labelsOf = (rows: Int32Array) => Uint8Array.from(rows, (s) => set.dataset.labels[s]!);
  const valScore = await scoreModel(set, { predictor, pipeline: set.pipeline }, val, opts);
  const valBase = evaluationBase(set, val);
  const valLabels = labelsOf(val);
  const selection = fitSelection({ probabilities: valScore.raw, labels: valLabels, buyPnlPct: valBase.buyPnlPct, sellPnlPct: valBase.sellPnlPct }, { temperature: opts.temperature });
  const scored = await scoreModel(set, { predictor, pipeline: set.pipeline, selection }, test, opts);
  const testLabels = labelsOf(test);
  const base = evaluationBase(set, test);
  return {
    evaluation: scored.evaluation,
    probabilities: scored.probabilities,
    rawProbabilities: scored.raw,
    selection,
    calibration: {
      test: calibrationReport(scored.probabilities, testLabels),
      testUncalibrated: calibrationReport(scored.raw, testLabels),
      validation: calibrationReport(valScore.raw, valLabels),
    },
    expectancy: expectancyBound(tradeReturns({ ...base, predicted: scored.predicted })),
  };
}
