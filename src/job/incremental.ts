/**
 * --mode diff and mirror: what the incremental state says of tonight's customers, decided between
 * pass 1 and the guardrails, so the guardrails and the plan see what will really be sent.
 *
 *   1. stage every validated customer's fingerprint (read back from the spool, where long-layout
 *      customers come out gathered), and the ids of invalid rows (mirror: never cleared)
 *   2. unchanged customers (the endpoint acknowledged these very segments) are set aside in the
 *      ledger: not sent, `unchanged` in results.csv
 *   3. mirror: customers the state holds segments for that are gone from the input get ordinals
 *      after the input's, a spool entry with no segments, and a results.csv row after the input's
 *
 * The state is written only as the endpoint acknowledges requests (see StateAcks): this step reads.
 */
import type { SegmentState, StagedCustomer } from '../state/index.js';
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
  const clearing = await stage(intake, state, stop);
  if (clearing === undefined) return undefined;
  let unchanged = 0;
  for (const [ordinal, sinceRun, status] of state.unchanged({ recheckNotFound: config.recheckNotFound, fullResync: config.fullResync })) {
    ledger.setUnchanged(ordinal, sinceRun, status === NOT_FOUND_STATUS);
    unchanged++;
    // Not sent, so it clears nothing: --max-clear counts what is sent.
    if (clearing.has(ordinal)) counts.toClear--;
  }
  const clears = config.mode === 'mirror' ? appendClears(intake, state) : 0;
  counts.toClear += clears;
  counts.unchanged = unchanged;
  return { file: state.file, fresh: state.fresh, tracked: state.tracked, unchanged, clears };
}

/** Stages the input customers; returns the ordinals of those that would be sent with no segments. */
async function stage(intake: Intake, state: SegmentState, stop: AbortSignal): Promise<OrdinalSet | undefined> {
  const { ledger } = intake;
  const clearing = new OrdinalSet(ledger.customers);
  const spoiled: string[] = [];
  for await (const customers of intake.spool.customers()) {
    // Ten million customers take a while to stage; SIGTERM must not wait for the end of it.
    if (stop.aborted) return undefined;
    const staged: StagedCustomer[] = [];
    for (const customer of customers) {
      // A customer a broken record spoiled is in the input, but not sent: like an invalid row.
      if (ledger.isSpoiled(customer.ordinal)) spoiled.push(customer.id);
      else staged.push({ ordinal: customer.ordinal, id: customer.id, fingerprint: fingerprintOf(customer) });
      if (customer.clears) clearing.add(customer.ordinal);
    }
    state.stage(staged);
  }
  state.protect(intake.invalidIds);
  state.protect(spoiled);
  return clearing;
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

/** A bit per ordinal. */
class OrdinalSet {
  private readonly bits: Uint8Array;

  constructor(size: number) {
    this.bits = new Uint8Array((size >>> 3) + 1);
  }

  add(ordinal: number): void {
    this.bits[ordinal >>> 3]! |= 1 << (ordinal & 7);
  }

  has(ordinal: number): boolean {
    return ((this.bits[ordinal >>> 3] ?? 0) & (1 << (ordinal & 7))) !== 0;
  }
}
