/**
 * edgeopt's public library API: the same capabilities as the CLI, as functions over typed records.
 * Stages in data-flow order; each section re-exports one stage.
 */
export { EdgeoptError } from './util/errors.js';
export { stderrProgress, silentProgress, type Progress } from './util/progress.js';

// ONNX model IO, graph helpers, shape inference
export * from './onnx/types.js';
export { decodeModel, encodeModel, loadModel, loadModelSync, saveModel, type SaveOptions } from './onnx/model-io.js';
export { makeTensor, makeInt64Tensor, tensorToArray, tensorToFloat32, tensorToNumbers, dataTypeName, type TensorData } from './onnx/tensor.js';
export { makeNode, makeGraph, makeModel, makeValueInfo, makeAttribute, getAttribute, getMetadata, float, floats } from './onnx/builder.js';
export { indexGraph, topologicalSort, uniqueNamer, opsetVersion, type GraphIndex } from './onnx/graph.js';
export { inferShapes, runShapeInference, type TensorType } from './onnx/shapes.js';

// PyTorch checkpoints (safe reader) and the .pt -> ONNX converter
export * from './pt/types.js';
export {
  readCheckpoint, findModel, moduleChildren, moduleAttr, moduleAt, namedModules, moduleStateDict, moduleStateDictFloat32,
  parameterCount, torchTensorToFloat32, pyToJs, pyGet, modelNames, modelStride, modelYaml, type Checkpoint,
} from './pt/checkpoint.js';
export { summarizeCheckpoint, type CheckpointSummary } from './pt/inspect.js';
export { buildDefaultModel, DEFAULT_MODEL_NAME } from './models/defaults.js';
export { buildYoloModel, type BuiltModel, type BuiltModelInfo } from './models/build.js';
export type { ModelFamily } from './models/family.js';
/** @deprecated the output layout is named by its family: use ModelFamily (kept for one release). */
export type { ModelFamily as OutputLayout } from './models/family.js';
export { convertCheckpoint, convertFile, type ConvertOptions, type Conversion, type ConversionInfo } from './convert/convert.js';
export { resolveModelSource, fetchOfficialModel, OFFICIAL_MODELS, type ModelSource } from './convert/model-source.js';
export { withOnnxModel } from './convert/ensure-onnx.js';

// Running models: the Runtime seam (onnxruntime-node, onnxruntime-web)
export * from './runtime/index.js';

// Analysis
export { analyzeModel, type ModelAnalysis } from './analyze/analyze.js';
export { formatAnalysis } from './analyze/format.js';

// Exact graph rewrites (before quantization)
export { optimizeGraph, resolveRewrites, REWRITES, type OptimizeOptions, type OptimizeReport, type OptimizeResult, type AppliedRewrite, type GraphRewrite } from './optimize/index.js';
export { optimizeModelFile, type OptimizeFileResult } from './optimize/file.js';

// Quantization: dynamic INT8, static QDQ INT8, FP16, mixed precision
export * from './quantize/index.js';

// Benchmarking and diagnosis
export * from './bench/index.js';
export * from './diagnose/index.js';

// Images, decoding, accuracy, detection
export { letterboxGeometry, resizeGeometry, unletterboxBox, RESIZE_MODES, type LetterboxGeometry, type Box, type ResizeMode } from './image/letterbox.js';
export { loadImageTensor, decodeRgb, letterboxToTensor, preprocessImage, type ImageTensor } from './image/preprocess.js';
export {
  parsePreprocessFlag, formatPreprocessing, packTensor, YOLO_PREPROCESSING, IMAGENET_MEAN, IMAGENET_STD,
  type ImagePreprocessing, type PreprocessOverrides, type ColorOrder, type TensorLayout,
} from './image/preprocessing.js';
export { DECODERS, DECODER_NAMES, decoderNamed, chooseDecoder, decodeOutputs, parseDecoderSpec, type DecoderChoice, type DecodedDetections } from './eval/decoders/index.js';
export type { DecoderFamily, OutputTensor, OutputSignature, Recognition, RecognitionContext, BoxSpace } from './eval/decoders/types.js';
export * from './eval/contract/index.js';
export { preprocessFor } from './image/families.js';
export { decodeDetections, detectOutputLayout, DISPLAY_THRESHOLDS, type Detection } from './eval/decode.js';
export { nonMaxSuppression, boxIou } from './eval/nms.js';
export { MetricsAccumulator, type DetectionMetrics } from './eval/map.js';
export * from './datasets/index.js';
export { DataQuality, DataQualityError, describeDataQuality, parseMaxBad, DEFAULT_MAX_BAD, type DataQualitySummary } from './util/data-quality.js';
export { evaluateModel, type EvalResult, type OutputFidelity } from './eval/evaluate.js';
export { openDetector, detectInImage } from './eval/detector.js';
export { parseNamesMetadata } from './eval/names.js';
export { runDetect, type DetectReport } from './detect/run.js';
export { annotationSvg, classColor } from './detect/annotate.js';

// Results, selection, report, the run pipeline, the demo server
export * from './results/schema.js';
export { readResults, writeResults } from './results/io.js';
export { selectVariant, DEFAULT_MAX_MAP_DROP, type SelectScenario } from './select/select.js';
export { renderCharts, paretoFront, type Chart } from './report/charts.js';
export { renderReport, markdownTable } from './report/markdown.js';
export { writeReport } from './report/write.js';
export { runPipeline, RUN_STAGES, RUN_DEFAULTS, type RunOptions, type RunSettings, type RunState, type RunStage } from './pipeline/run.js';
export { TOOL_VERSION } from './util/version.js';
export { VARIANT_PLANS, assertKnownVariants, type VariantPlan } from './pipeline/variants.js';
export { quantizeMixedPrecisionFile } from './pipeline/mixed-precision.js';
// Results store (SQLite / PostgreSQL) and history
export * from './store/index.js';
export * from './fleet/index.js';
export { startDemoServer, type DemoServer, type DemoServerOptions } from './demo/server.js';
export { serveDemo } from './demo/serve.js';
