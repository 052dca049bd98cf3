import { existsSync } from 'node:fs';
import { asset, hasAssets } from './assets.js';

/** The zoo detectors of `../shared/assets/zoo/` (see its README): every stage is tried on each of them. */
export const ZOO_MODELS = [
  'picodet_s_320',
  'picodet_xs_nms_320',
  'yolofastestv2_352',
  'yolofastestv2_merged_352',
  'yolov10n_int8_640',
  'yolov5lite_e_320',
] as const;

export type ZooModel = (typeof ZOO_MODELS)[number];

export const hasZoo = hasAssets && existsSync(asset('zoo', 'README.md'));

if (hasAssets && !hasZoo) process.stderr.write('edgeopt tests: ../shared/assets/zoo not found; zoo model tests are skipped\n');

export function zooModel(name: ZooModel): string {
  return asset('zoo', `${name}.onnx`);
}
