export { EmbeddingEngine, MAX_DOCUMENT_TOKENS } from './engine';
export type { DocumentEmbedding } from './engine';
export { ModelLoadError, ProviderUnavailableError } from './errors';
export { ROLES, loadManifest, locateModel } from './models-dir';
export type { Provider } from './inference-protocol';
export type { BatchReport } from './batcher';
export { HubUnreachableError, ModelPullError, NBK_REPOSITORIES, pullModel } from './model-pull';
