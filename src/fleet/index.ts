/** The fleet: a PostgreSQL job queue (pg-boss), submissions, the agent, its job runner, status. */
export { parseJob, parseTarget, queueName, targetName, MAX_JOB_TIMEOUT_S, type FleetJob, type BenchJob, type EvalJob, type JobModel, type Target, type BenchSettings } from './jobs.js';
export { openQueue, ensureQueue, type QueueOptions } from './queue.js';
export { submitJobs, type SubmitOptions, type Submission, type SubmittedVariant } from './submit.js';
export { runAgent, type AgentOptions, type AgentSummary, type JobTiming } from './agent.js';
export { fleetStatus, formatFleetStatus, JOB_STATES, type FleetStatus, type DeviceStatus, type AgentStatus, type JobState, type StateCounts } from './status.js';
export { buildFleetReport, renderFleetReport, writeFleetReport, type FleetReport, type SubmissionInfo } from './report.js';
