/**
 * Runs a real model on a real image under a resolved contract (a Runtime session, every input fed, every
 * output decoded): what eval and detect do, reduced to one image, for the decoder tests.
 */
import { decodeOutputs, decoderNamed, type Detection } from '../../src/eval/decoders/index.js';
import { contractFeeds, modelSignature, parseContractFlags, resolveContract, toSourceDetections, type ContractFlagText, type ResolvedContract } from '../../src/eval/contract/index.js';
import { decodeRgb, preprocessImage, type Resampling } from '../../src/image/preprocess.js';
import { loadModel } from '../../src/onnx/model-io.js';
import { ortNodeRuntime } from '../../src/runtime/ort-node.js';

export interface ContractRun {
  resolved: ResolvedContract;
  detections: Detection[];
}

export async function detectWithContract(
  modelPath: string,
  imagePath: string,
  flags: ContractFlagText,
  options: { conf: number; iou?: number; resampling?: Resampling },
): Promise<ContractRun> {
  const resolved = resolveContract(modelSignature(await loadModel(modelPath)), parseContractFlags(flags));
  const { contract } = resolved;
  if (!contract.decoder) throw new Error(`no decoder: ${resolved.decoderProblem}`);
  const session = await ortNodeRuntime.open(modelPath, { intraOpThreads: 1 });
  try {
    const image = await decodeRgb(imagePath);
    const tensor = await preprocessImage(image, contract.input, options.resampling);
    const result = await session.run(contractFeeds(contract, tensor));
    const outputs = session.outputs.map(({ name }) => ({ name, dims: result[name]!.dims, data: result[name]!.data as Float32Array }));
    const family = decoderNamed(contract.decoder.name)!;
    const { detections, space } = decodeOutputs(family, outputs, contract.decoder.params, { inputWidth: contract.input.width, inputHeight: contract.input.height }, {
      confThreshold: options.conf,
      iouThreshold: options.iou ?? 0.45,
    });
    return { resolved, detections: toSourceDetections(detections, space, tensor.geometry, image.width, image.height) };
  } finally {
    await session.release();
  }
}
