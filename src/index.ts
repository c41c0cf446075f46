/** @module The public API: `deploy`, `buildApp`, `loadModel`, `explainRows`, `defineModel`, the registry and the model contract. */

export { CONFIG_KEYS, type Config, loadConfig, type ModelEntry } from "./config/config.ts";
export { type Deployable, type Deployment, type DeployOptions, deploy } from "./deploy.ts";
export { Errors, errorCatalogue, type FieldIssue, ModelServeError } from "./errors.ts";
export type { ExplanationJson } from "./inference/explain.ts";
export { explainRows, type RowsExplanation } from "./inference/explain-api.ts";
export {
  type Explanation,
  friendlyModel,
  loadModel,
  type Model,
  type PlainRow,
  type PlainValue,
  type Prediction,
  type Probabilities,
} from "./library/model.ts";
export { createLogger, type LogFormat, type LogLevel } from "./observability/logger.ts";
export {
  ModelRegistry,
  type ModelVersion,
  type ReadyVersion,
  type VersionState,
} from "./registry/model-registry.ts";
export { builtinRuntimes } from "./runtimes/builtin.ts";
export { type LoadModelOptions, loadModel as loadRuntimeModel } from "./runtimes/load-model.ts";
export { RuntimeSet } from "./runtimes/resolve.ts";
export type * from "./runtimes/runtime.ts";
export {
  defineModel,
  type FeatureValue,
  isModelDefinition,
  type ModelDefinition,
  type ModelDefinitionInput,
  type Row,
} from "./runtimes/typescript/define-model.ts";
export { loadDefinition } from "./runtimes/typescript/runtime.ts";
export { compileValidator, type RowValidator, tableFromRows } from "./schema/validator.ts";
export { type App, type AppOptions, buildApp, DEFAULT_SETTINGS } from "./server/app.ts";
export { closeGracefully } from "./server/lifecycle.ts";
export { createContext, type ModelservePluginOptions, modelservePlugin } from "./server/plugin.ts";
