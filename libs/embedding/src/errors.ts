import { ExitCode, SetupError } from '@shortlist/config';
/** A models directory or model file that cannot be used; the message names the file and what is wrong. */
export class ModelLoadError extends SetupError {
  override readonly name = 'ModelLoadError';
  readonly exitCode = ExitCode.unavailable;
}

/** The configured execution provider is not in this onnxruntime-node build or cannot start. */
export class ProviderUnavailableError extends SetupError {
  override readonly name = 'ProviderUnavailableError';
  readonly exitCode = ExitCode.unavailable;
}
