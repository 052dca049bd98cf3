// The throwaway cluster lives in src/ so that the fleet benchmark script can start one too.
export { postgresBinDir, startTestCluster, createDatabase, type TestCluster } from '../../src/fleet/scripts/throwaway-cluster.js';
