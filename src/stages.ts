/**
 * The stages of `src/`, in data-flow order: a module imports only from its own stage and the stages before it.
 * This list is the one place the order is written; test/stages.test.ts reads the import statements of every
 * source file and fails on an import that points later, and checks that the README's layout section quotes
 * the list in this order. A new stage is one entry here, where its imports allow it.
 * (`src/index.ts`, the library's front door, re-exports every stage and stands outside the order.)
 */
export const STAGES = [
  { name: 'util', role: 'errors, atomic files, progress, PRNG, float16: what every stage shares' },
  { name: 'onnx', role: 'protobuf model IO, graph helpers, shape inference (one rule per op)' },
  { name: 'pt', role: 'the safe .pt reader: zip container and pickle VM' },
  { name: 'models', role: 'YOLO architecture builders' },
  { name: 'convert', role: '.pt → ONNX' },
  { name: 'image', role: 'decoding, letterbox, preprocessing per model family' },
  { name: 'datasets', role: 'dataset loaders (YOLO, data.yaml, COCO JSON, VOC) with bad-data counting' },
  { name: 'runtime', role: 'the Runtime seam: sessions on onnxruntime-node and onnxruntime-web' },
  { name: 'analyze', role: 'op census, parameters, MACs, fusions' },
  { name: 'optimize', role: 'exact graph rewrites' },
  { name: 'quantize', role: 'dynamic INT8, static QDQ INT8 with calibration, FP16, mixed precision' },
  { name: 'bench', role: 'scenarios, isolated child processes, statistics, provenance, profiler traces' },
  { name: 'diagnose', role: 'per-operator profiles and findings' },
  { name: 'eval', role: 'output decoding, NMS, datasets, mAP, fidelity' },
  { name: 'detect', role: 'annotated images and videos' },
  { name: 'results', role: 'the versioned results.json record' },
  { name: 'select', role: 'the best variant under constraints' },
  { name: 'report', role: 'report.md and charts' },
  { name: 'pipeline', role: 'edgeopt run: the stages over one run state' },
  { name: 'store', role: 'the results store (SQLite, PostgreSQL), migrations, history' },
  { name: 'fleet', role: 'job queue, submit, agent, job runner, status' },
  { name: 'demo', role: 'the browser demo server' },
  { name: 'cli', role: 'argument parsing and printing, nothing else' },
] as const;

export type StageName = (typeof STAGES)[number]['name'];
