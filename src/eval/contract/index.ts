export * from './types.js';
export { resolveContract, decoderFlagText, exporterOf } from './resolve.js';
export { contractMetadata, readStoredContract, CONTRACT_METADATA_KEY, CONTRACT_VERSION, type StoredContract } from './stored.js';
export { parseContractFlags, parseAuxKind, type ContractFlagText } from './flags.js';
export { formatContract, contractRows, contractSummary, describeSource, unconfirmedPreprocessing } from './format.js';
export { modelSignature, withRunDims } from './signature.js';
export { contractFeeds, auxValues, toSourceDetections, type FeedTensor, type FeedRecord, type FeedElementType } from './feeds.js';
export { readContract, contractStamp, assertFeedable } from './read.js';
export { contractFeedBuilder } from './feed-builder.js';
