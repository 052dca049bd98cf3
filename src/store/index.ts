/** The results store: every measurement with its device and provenance, in SQLite or PostgreSQL. */
export { resolveStoreLocation, edgeoptHome, maskUrl, maskSecrets, DEFAULT_STORE_FILE, type StoreLocation } from './location.js';
export { ResultsStore, type RunFilter } from './store.js';
export { MIGRATIONS, STORE_SCHEMA_VERSION, migrate, type Migration } from './migrations.js';
export type { SqlDatabase, SqlRunner, SqlValue, Dialect } from './sql.js';
export * from './records.js';
export { localDevice, hostId, machineDeviceProvenance, isDeviceName, DEVICE_NAME_PATTERN } from './device.js';
export { sha256File, hashFiles, benchRun, pipelineRun, latencyFromStats } from './capture.js';
export { compareRuns, latestChanges, compareLatency, formatHistory, type LatencyChange, type LatencyPoint, type ChangeVerdict } from './history.js';
