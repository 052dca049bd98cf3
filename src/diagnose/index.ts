/** Why is a variant slow: profile it, compare it op by op with its baseline, and say so in words. */
export { profileModel, TOP_NODES, type Profile, type ProfileOptions, type ProfileScenario } from './profile.js';
export { aggregateTrace, type NodeTime, type OpTypeTime, type TraceAggregate } from './aggregate.js';
export { graphCensus, censusChanges, qualifiedOpType, type GraphCensus, type OpCount, type OpCountChange } from './census.js';
export { compareProfiles, type OpComparison, type OpDelta, type ProfileSummary } from './compare.js';
export { findings, type FindingsInput } from './findings.js';
export { formatComparison, formatDiagnosis, formatProfile } from './format.js';
