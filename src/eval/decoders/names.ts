/**
 * The decoder families by name, in registry order, without loading the decoders: the CLI's `--decoder` help
 * lists them at start-up. `DECODERS` in index.ts is the registry itself; test/eval/decoders/names.test.ts checks
 * that both list the same families in the same order.
 */
export const DECODER_NAMES: readonly string[] = ['yolov5', 'ultralytics', 'yolo-anchors', 'yolox', 'gfl', 'ssd', 'end2end', 'detr'];
