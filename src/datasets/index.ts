export * from './types.js';
export { openDataset, describeDataset, DATASET_LOADERS } from './registry.js';
export { mapClasses, type ClassMapping } from './classes.js';
export { checkSample, type CheckedSample, type GroundTruthBox } from './validate.js';
export { parseYoloLabels, openYoloFolder, ultralyticsLabelPath, yoloLoader } from './yolo.js';
export { openUltralyticsYaml, parseYamlNames, ultralyticsYamlLoader } from './ultralytics-yaml.js';
export { openCocoJson, parseCocoAnnotations, cocoJsonLoader } from './coco-json.js';
export { openVoc, parseVocXml, vocLoader } from './voc.js';
export { assignImageIds, listImages } from './files.js';
