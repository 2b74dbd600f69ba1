/** Run state for crash, stop and resume: the state dir lock, the journal and the run fingerprint. */
export { runFingerprint, type FingerprintInput } from './fingerprint.js';
export { openJournal, type Journal, type OpenJournalOptions } from './journal.js';
export { acquireLock, type AcquireLockOptions, type StateLock } from './lock.js';
export type { AckStatus } from './ack-status-bits.js';
export {
  SegmentState,
  type AckedStatus,
  type DiffOptions,
  type OpenSegmentStateOptions,
  type RunEnd,
  type StagedCustomer,
  type StateIdentity,
} from './segment-state.js';
export { isSegmentStateFileName, segmentStatePath } from './state-files.js';
