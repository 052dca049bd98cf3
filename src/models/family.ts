/**
 * The detector families edgeopt builds, converts, preprocesses and decodes. One type for all of them: the
 * family decides the architecture (models/), the preprocessing (image/families) and the output layout (eval/decode).
 * - `yolov5`: ultralytics/yolov5, anchor-based Detect; output [1, N, 5 + nc] rows of cx, cy, w, h, objectness, class scores.
 * - `ultralytics`: YOLOv5u/v8/11, anchor-free Detect with DFL; output [1, 4 + nc, N] columns of cx, cy, w, h, class scores.
 */
export type ModelFamily = 'yolov5' | 'ultralytics';
