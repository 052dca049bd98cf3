/**
 * Built-in architecture definitions, written as the yaml dicts the official repositories ship (and checkpoints
 * embed), so the default models go through exactly the parser and builder that real checkpoints do.
 */
import { parseArchitecture, type ArchitectureSpec } from './architecture.js';

type YamlRow = [number | number[], number, string, unknown[]];

/** YOLOv5 v6.0+ P5 backbone, shared by yolov5n.yaml (ultralytics/yolov5) and yolov5.yaml (Ultralytics 'u' models). */
const YOLOV5_BACKBONE: YamlRow[] = [
  [-1, 1, 'Conv', [64, 6, 2, 2]], // 0-P1/2
  [-1, 1, 'Conv', [128, 3, 2]], // 1-P2/4
  [-1, 3, 'C3', [128]],
  [-1, 1, 'Conv', [256, 3, 2]], // 3-P3/8
  [-1, 6, 'C3', [256]],
  [-1, 1, 'Conv', [512, 3, 2]], // 5-P4/16
  [-1, 9, 'C3', [512]],
  [-1, 1, 'Conv', [1024, 3, 2]], // 7-P5/32
  [-1, 3, 'C3', [1024]],
  [-1, 1, 'SPPF', [1024, 5]], // 9
];

function yolov5Head(detectArgs: string[]): YamlRow[] {
  return [
    [-1, 1, 'Conv', [512, 1, 1]],
    [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']],
    [[-1, 6], 1, 'Concat', [1]], // cat backbone P4
    [-1, 3, 'C3', [512, false]], // 13
    [-1, 1, 'Conv', [256, 1, 1]],
    [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']],
    [[-1, 4], 1, 'Concat', [1]], // cat backbone P3
    [-1, 3, 'C3', [256, false]], // 17 (P3/8)
    [-1, 1, 'Conv', [256, 3, 2]],
    [[-1, 14], 1, 'Concat', [1]], // cat head P4
    [-1, 3, 'C3', [512, false]], // 20 (P4/16)
    [-1, 1, 'Conv', [512, 3, 2]],
    [[-1, 10], 1, 'Concat', [1]], // cat head P5
    [-1, 3, 'C3', [1024, false]], // 23 (P5/32)
    [[17, 20, 23], 1, 'Detect', detectArgs],
  ];
}

const YOLOV5N_YAML = {
  nc: 80,
  depth_multiple: 0.33,
  width_multiple: 0.25,
  anchors: [
    [10, 13, 16, 30, 33, 23], // P3/8
    [30, 61, 62, 45, 59, 119], // P4/16
    [116, 90, 156, 198, 373, 326], // P5/32
  ],
  backbone: YOLOV5_BACKBONE,
  head: yolov5Head(['nc', 'anchors']),
  yaml_file: 'yolov5n.yaml',
  ch: 3,
};

const YOLOV5U_YAML = {
  nc: 80,
  scales: { n: [0.33, 0.25, 1024], s: [0.33, 0.5, 1024], m: [0.67, 0.75, 1024], l: [1.0, 1.0, 1024], x: [1.33, 1.25, 1024] },
  backbone: YOLOV5_BACKBONE,
  head: yolov5Head(['nc']),
  scale: 'n',
  yaml_file: 'yolov5nu.yaml',
  ch: 3,
};

const YOLOV8_YAML = {
  nc: 80,
  scales: { n: [0.33, 0.25, 1024], s: [0.33, 0.5, 1024], m: [0.67, 0.75, 768], l: [1.0, 1.0, 512], x: [1.0, 1.25, 512] },
  backbone: [
    [-1, 1, 'Conv', [64, 3, 2]], // 0-P1/2
    [-1, 1, 'Conv', [128, 3, 2]], // 1-P2/4
    [-1, 3, 'C2f', [128, true]],
    [-1, 1, 'Conv', [256, 3, 2]], // 3-P3/8
    [-1, 6, 'C2f', [256, true]],
    [-1, 1, 'Conv', [512, 3, 2]], // 5-P4/16
    [-1, 6, 'C2f', [512, true]],
    [-1, 1, 'Conv', [1024, 3, 2]], // 7-P5/32
    [-1, 3, 'C2f', [1024, true]],
    [-1, 1, 'SPPF', [1024, 5]], // 9
  ],
  head: [
    [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']],
    [[-1, 6], 1, 'Concat', [1]],
    [-1, 3, 'C2f', [512]], // 12
    [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']],
    [[-1, 4], 1, 'Concat', [1]],
    [-1, 3, 'C2f', [256]], // 15 (P3/8)
    [-1, 1, 'Conv', [256, 3, 2]],
    [[-1, 12], 1, 'Concat', [1]],
    [-1, 3, 'C2f', [512]], // 18 (P4/16)
    [-1, 1, 'Conv', [512, 3, 2]],
    [[-1, 9], 1, 'Concat', [1]],
    [-1, 3, 'C2f', [1024]], // 21 (P5/32)
    [[15, 18, 21], 1, 'Detect', ['nc']],
  ],
  scale: 'n',
  yaml_file: 'yolov8n.yaml',
  ch: 3,
};

const YOLO11_YAML = {
  nc: 80,
  scales: { n: [0.5, 0.25, 1024], s: [0.5, 0.5, 1024], m: [0.5, 1.0, 512], l: [1.0, 1.0, 512], x: [1.0, 1.5, 512] },
  backbone: [
    [-1, 1, 'Conv', [64, 3, 2]], // 0-P1/2
    [-1, 1, 'Conv', [128, 3, 2]], // 1-P2/4
    [-1, 2, 'C3k2', [256, false, 0.25]],
    [-1, 1, 'Conv', [256, 3, 2]], // 3-P3/8
    [-1, 2, 'C3k2', [512, false, 0.25]],
    [-1, 1, 'Conv', [512, 3, 2]], // 5-P4/16
    [-1, 2, 'C3k2', [512, true]],
    [-1, 1, 'Conv', [1024, 3, 2]], // 7-P5/32
    [-1, 2, 'C3k2', [1024, true]],
    [-1, 1, 'SPPF', [1024, 5]], // 9
    [-1, 2, 'C2PSA', [1024]], // 10
  ],
  head: [
    [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']],
    [[-1, 6], 1, 'Concat', [1]],
    [-1, 2, 'C3k2', [512, false]], // 13
    [-1, 1, 'nn.Upsample', ['None', 2, 'nearest']],
    [[-1, 4], 1, 'Concat', [1]],
    [-1, 2, 'C3k2', [256, false]], // 16 (P3/8)
    [-1, 1, 'Conv', [256, 3, 2]],
    [[-1, 13], 1, 'Concat', [1]],
    [-1, 2, 'C3k2', [512, false]], // 19 (P4/16)
    [-1, 1, 'Conv', [512, 3, 2]],
    [[-1, 10], 1, 'Concat', [1]],
    [-1, 2, 'C3k2', [1024, true]], // 22 (P5/32)
    [[16, 19, 22], 1, 'Detect', ['nc']],
  ],
  scale: 'n',
  yaml_file: 'yolo11n.yaml',
  ch: 3,
};

export type BuiltinArchitecture = 'yolov5n' | 'yolov5nu' | 'yolov8n' | 'yolo11n';

export const BUILTIN_ARCHITECTURES: readonly BuiltinArchitecture[] = ['yolov5n', 'yolov5nu', 'yolov8n', 'yolo11n'];

export function builtinArchitecture(name: BuiltinArchitecture): ArchitectureSpec {
  switch (name) {
    case 'yolov5n':
      return parseArchitecture(YOLOV5N_YAML, 'yolov5');
    case 'yolov5nu':
      return parseArchitecture(YOLOV5U_YAML, 'ultralytics');
    case 'yolov8n':
      return parseArchitecture(YOLOV8_YAML, 'ultralytics');
    case 'yolo11n':
      return parseArchitecture(YOLO11_YAML, 'ultralytics');
  }
}
