/** The line `edgeopt convert` prints about the model it wrote. */
import type { ConversionInfo } from './convert.js';

export function formatConversion(output: string, info: ConversionInfo, bytes: number): string {
  const outputShape = info.family === 'yolov5' ? 'rows of cx,cy,w,h,obj,classes' : 'cx,cy,w,h,classes × anchors';
  return (
    `${output}: ${info.architecture} (${info.family}), ${info.nc} classes, ${info.params.toLocaleString('en-US')} parameters, ` +
    `input ${info.imgsz.join('x')}, opset ${info.opset}${info.dynamicBatch ? ', dynamic batch' : ''}, output0 ${outputShape}; ` +
    `${(bytes / 1e6).toFixed(1)} MB in ${info.seconds.toFixed(2)} s\n`
  );
}
