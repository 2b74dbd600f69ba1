/**
 * Run state for crash, stop and resume (the state dir lock, the journal and the run fingerprint),
 * and the incremental segment state: what the endpoint acknowledged per customer, which a diff or
 * mirror run loads into the job's in-memory table, from its table file or one scan (the job
 * decides; the state records acknowledgements, merges them in id order at finishRun and writes the
 * table file).
 */
export { runFingerprint, type FingerprintInput } from './fingerprint.js';
export { openJournal, type Journal, type OpenJournalOptions } from './journal.js';
export { acquireLock, type AcquireLockOptions, type StateLock } from './lock.js';
export type { AckStatus } from './ack-status-bits.js';
export {
  SegmentState,
  type AckedStatus,
  type OpenSegmentStateOptions,
  type RunEnd,
  type ScanRow,
  type StateIdentity,
} from './segment-state.js';
export type { StateTable } from './state-table.js';
export { MET_MAX } from './state-table.js';
export { isSegmentStateFileName, segmentStatePath } from './state-files.js';
export { EMPTY_FINGERPRINT, fingerprintOf, fingerprintOfCells } from './segments-fingerprint.js';
export { companionFiles } from './state-files.js';
export { inspectStateFile, type StateFileReport } from './state-inspect.js';
