import { SignalbaseError } from '../../domain/errors.ts';

/**
 * ONNX export and serving failures. None of them stops the daemon: the model keeps serving with tfjs.
 *   ONNX_EXPORT_FAILED       the net is not one the exporter knows (or its bytes are inconsistent)
 *   ONNX_CHECK_FAILED        ONNX Runtime's outputs differ from tfjs's (beyond 1e-5, or a different signal)
 *   ONNX_RUNTIME_UNAVAILABLE onnxruntime-node cannot load here, or refused the model
 */
export type OnnxErrorCode = 'ONNX_EXPORT_FAILED' | 'ONNX_CHECK_FAILED' | 'ONNX_RUNTIME_UNAVAILABLE';

export class OnnxError extends SignalbaseError {
  declare readonly code: OnnxErrorCode;
  constructor(code: OnnxErrorCode, message: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, { context, cause });
  }
}
