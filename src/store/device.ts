import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { machineProvenance } from '../bench/provenance.js';
import type { DeviceRecord, MachineDeviceProvenance } from './records.js';

/** Device names: what a person types on the command line and reads in a table. */
export const DEVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export function isDeviceName(name: string): boolean {
  return DEVICE_NAME_PATTERN.test(name);
}

/**
 * Identifies the physical host: a hash of /etc/machine-id (which must stay private, so never the
 * id itself), or of the host name where there is none. Agents on one host share it, which is what
 * the one-job-per-host lock is keyed on.
 */
export function hostId(): string {
  let source = '';
  for (const file of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      source = readFileSync(file, 'utf8').trim();
      if (source) break;
    } catch {
      // try the next one
    }
  }
  if (!source) source = `hostname:${os.hostname()}`;
  return createHash('sha256').update(`edgeopt-host:${source}`).digest('hex').slice(0, 16);
}

export function machineDeviceProvenance(providers?: string[]): MachineDeviceProvenance {
  return { ...machineProvenance(), memoryBytes: os.totalmem(), ...(providers ? { providers } : {}) };
}

/** This machine as a device: `$EDGEOPT_DEVICE`, else its host name. */
export function localDevice(env: NodeJS.ProcessEnv = process.env): Omit<DeviceRecord, 'firstSeen' | 'lastSeen'> {
  const fromEnv = env.EDGEOPT_DEVICE;
  const name = fromEnv && isDeviceName(fromEnv) ? fromEnv : os.hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 63) || 'localhost';
  return { name, kind: 'machine', hostId: hostId(), tags: [], provenance: machineDeviceProvenance() };
}
