/**
 * --mode diff and mirror: what the incremental state says of tonight's customers, decided between
 * pass 1 and the guardrails, so the guardrails and the plan see what will really be sent.
 *
 *   1. stage the fingerprints of the long-layout customers (wide and json ones were staged by pass 1
 *      as they were met; long ones are known once gathered), and the ids of invalid rows (never cleared)
 *   2. unchanged customers (the endpoint acknowledged these very segments) are set aside in the
 *      ledger: not sent, `unchanged` in results.csv
 *   3. mirror: customers the state holds segments for that are gone from the input get ordinals
 *      after the input's, a spool entry with no segments, and a results.csv row after the input's
 *
 * The state is written only as the endpoint acknowledges requests (see StateAcks): this step reads.
 */
import type { SegmentState, StagedCustomer } from '../state/index.js';
import { EMPTY_FINGERPRINT } from '../state/segments-fingerprint.js';
import type { RunConfig } from '../config/run-options.js';
import type { CustomerRow } from '../types.js';
import type { Intake } from './validate-pass.js';

/** What summary.json and the plan say of the state. */
export interface StateFacts {
  file: string;
  /** No usable state (first run, another endpoint's, corrupt, another scheme): everything is sent, nothing cleared. */
  fresh: boolean;
  /** Customers the state tracked when the run began. */
  tracked: number;
  /** Input customers not sent: unchanged. */
  unchanged: number;
  /** mirror: customers gone from the input, to be cleared. */
  clears: number;
}

/** The state-status code of a customer answered not found (SegmentState.unchanged()). */
const NOT_FOUND_STATUS = 2;

/** Undefined when `stop` ended it (a signal while staging: nothing was sent, the state is unchanged). */
export async function applyState(
  config: Pick<RunConfig, 'mode' | 'fullResync' | 'recheckNotFound'>,
  intake: Intake,
  state: SegmentState,
  stop: AbortSignal,
): Promise<StateFacts | undefined> {
  const { ledger, counts } = intake;
  // No state to compare with: every customer is new, none is cleared.
  if (state.fresh) return { file: state.file, fresh: true, tracked: state.tracked, unchanged: 0, clears: 0 };
  if (!(await stageLong(intake, state, stop))) return undefined;
  let unchanged = 0;
  for (const [ordinal, sinceRun, status, fingerprint] of state.unchanged({ recheckNotFound: config.recheckNotFound, fullResync: config.fullResync })) {
    ledger.setUnchanged(ordinal, sinceRun, status === NOT_FOUND_STATUS);
    unchanged++;
    // Not sent, so it clears nothing: --max-clear counts what is sent.
    if (fingerprint === EMPTY_FINGERPRINT) counts.toClear--;
  }
  const clears = config.mode === 'mirror' ? appendClears(intake, state) : 0;
  counts.toClear += clears;
  counts.unchanged = unchanged;
  return { file: state.file, fresh: state.fresh, tracked: state.tracked, unchanged, clears };
}

/** Stages the long-layout customers and protects the ids of invalid rows; false when `stop` ended it. */
async function stageLong(intake: Intake, state: SegmentState, stop: AbortSignal): Promise<boolean> {
  const { ledger } = intake;
  const spoiled: string[] = [];
  for await (const customers of intake.spool.longCustomers()) {
    // A big long file takes a while to gather; SIGTERM must not wait for the end of it.
    if (stop.aborted) return false;
    const staged: StagedCustomer[] = [];
    for (const customer of customers) {
      // A customer a broken record spoiled is in the input, but not sent: like an invalid row.
      if (ledger.isSpoiled(customer.ordinal)) spoiled.push(customer.id);
      else staged.push({ ordinal: customer.ordinal, id: customer.id, fingerprint: fingerprintOf(customer) });
    }
    state.stage(staged);
  }
  state.protect(intake.invalidIds);
  state.protect(spoiled);
  return true;
}

function fingerprintOf(customer: CustomerRow): number {
  if (customer.fingerprint === undefined) throw new TypeError(`customer ${customer.ordinal} was spooled without a fingerprint`);
  return customer.fingerprint;
}

/** mirror: the customers gone from the input, after the input's (spool, ledger, row log). */
function appendClears(intake: Intake, state: SegmentState): number {
  const { ledger, rowLog } = intake;
  const first = ledger.customers;
  let count = 0;
  const ids = function* (): Generator<string> {
    for (const id of state.clears()) {
      rowLog.absent(first + count, id);
      count++;
      yield id;
    }
  };
  intake.spool.appendClears(first, ids());
  ledger.openClears(count);
  return count;
}
