/**
 * Pass 1: reads and checks the whole input before anything is sent. Every record goes to the row
 * log (results.csv is written from it at the end), every validated customer to be sent to the spool
 * (pass 2 sends from there, never from the input again; diff and mirror leave out the unchanged
 * ones), and the ledger learns what each customer is.
 *
 * Rows come in chunks (the rows of one chunk of input bytes) and each chunk is handled in plain
 * synchronous loops: one await per chunk, none per row.
 */
import type { RunConfig } from '../config/run-options.js';
import { DEFAULTS } from '../config/defaults.js';
import { readInputs, segmentsOfCells, type FileFacts, type InputFile, type InputOptions } from './input/index.js';
import { Classifier, type IdIndex } from './dedupe/index.js';
import { CustomerSample, CustomerSpool, type CustomerSink } from './spool/index.js';
import { fingerprintOf, fingerprintOfCells } from '../state/index.js';
import { RowLog } from './report/index.js';
import type { ClassifiedRow, Counts } from '../core/types.js';
import type { StateDiff } from './incremental.js';
import { emptyCounts, tallyRead, type ReadTally } from './tally.js';
import { Ledger } from './ledger.js';
import type { ProgressState } from './progress.js';
import type { JobContext } from './context.js';

/** What pass 1 leaves for the rest of the run. */
export interface Intake {
  counts: Counts;
  facts: FileFacts[];
  /** Every row read (before shard filtering) and the invalid ones: what --max-invalid looks at. */
  read: ReadTally;
  /** Why rows are invalid, most common first (numbers in the reasons folded, so alike ones add up). */
  invalidReasons: [string, number][];
  ledger: Ledger;
  /**
   * The validated customers to send: all of them (full), the new and changed ones (diff, mirror),
   * or the first few for a dry run's plan in full mode.
   */
  spool: CustomerSink;
  rowLog: RowLog;
}

export type ValidateResult = { stopped: false; intake: Intake } | { stopped: true; facts: FileFacts[]; counts: Counts };

/**
 * Pass 1: reads everything once; a stop signal ends it early (nothing was sent yet). `diff` (diff,
 * mirror, when the state has anything to compare with): each wide or json customer is compared as
 * it is met, and only a changed one is spooled (see incremental.ts).
 */
export async function validatePass(
  ctx: JobContext,
  files: InputFile[],
  index: IdIndex,
  tmpDir: string,
  progress: ProgressState,
  expectedRows = 0,
  diff?: StateDiff,
): Promise<ValidateResult> {
  const { config } = ctx;
  const facts: FileFacts[] = [];
  const read: ReadTally = { rows: 0, invalid: 0 };
  const ledger = new Ledger(expectedRows);
  // The incremental state compares every customer's fingerprint, dry run or not.
  const fingerprints = keepsState(config);
  const spool = config.dryRun && !fingerprints ? new CustomerSample(SAMPLE_CUSTOMERS) : new CustomerSpool({ dir: tmpDir, fingerprints });
  const displays = files.map((f) => f.display);
  // A dry run without a state knows each row's status when it meets it: results.csv is written as it goes.
  const straight = config.dryRun && !fingerprints ? { dir: config.reportDir, inputs: displays } : undefined;
  const intake = new IntakeBuilder(displays, ledger, spool, new RowLog(tmpDir, straight), fingerprints, diff);
  let finished = false;
  // A night dedupes the ids the state tracks in the table it looks them up in anyway.
  const classifier = new Classifier({ ids: diff?.dedupe(index) ?? index, shard: config.shard });
  try {
    // A dry run's sample wants the segments of its first customers only: the other rows skip building them.
    const inputOptions: InputOptions = {
      ...readOptions(config),
      buildSegments: () => spool.wantsSegments(),
      // A diff compares every customer but sends only the changed ones: a wide row's cells are
      // fingerprinted as they are, and segments are built for those few (they were ~1 s of a 2M night).
      wideCells: diff !== undefined,
    };
    for await (const chunk of readInputs(files, inputOptions, facts)) {
      // A big file takes a while to check; SIGTERM must not wait for the end of it.
      if (ctx.signals.stop.aborted) return { stopped: true, facts, counts: intake.counts };
      // Every row counts towards the guard (before shard filtering), so all shards decide alike.
      tallyRead(read, chunk);
      progress.rowsRead = read.rows;
      // Row by row through both stages: a classified row dies young instead of waiting in an array
      // for the rest of its chunk (which the young generation's collections would copy). The
      // index reads the chunk's slots first, all together (see IdIndex.prefetch).
      classifier.prefetch(chunk);
      for (const row of chunk) {
        const classified = classifier.classifyOne(row);
        if (classified !== undefined) intake.add(classified);
      }
      await intake.rowLog.drained();
    }
    finished = true;
  } finally {
    intake.spool.finish();
    intake.rowLog.close();
    // Stopped or failed: no report of these rows will be written.
    if (!finished) await intake.rowLog.discard();
  }
  return { stopped: false, intake: intake.settle(facts, read) };
}

/** Routes classified rows to the ledger, the spool and the row log, and counts them. */
class IntakeBuilder {
  readonly counts = emptyCounts();
  private readonly reasons = new Map<string, number>();

  constructor(
    private readonly displays: readonly string[],
    private readonly ledger: Ledger,
    readonly spool: CustomerSink,
    readonly rowLog: RowLog,
    /** diff, mirror: every customer's fingerprint is spooled with it, for the state. */
    private readonly fingerprints: boolean,
    /** diff, mirror with a state to compare with: unchanged customers are set aside, not spooled. */
    private readonly diff: StateDiff | undefined,
  ) {}

  add(row: ClassifiedRow): void {
    const { counts, ledger, spool, rowLog } = this;
    counts.rows++;
    switch (row.kind) {
      case 'customer': {
        ledger.open(row.ordinal, false);
        rowLog.customer(row.ordinal, row.file, row.line, row.id);
        counts.customers++;
        const { segments, cells, shape } = row;
        if (cells !== undefined && shape !== undefined) {
          const fingerprint = fingerprintOfCells(shape, cells);
          if (this.setAsideUnchanged(row, fingerprint)) return;
          spool.addCustomer(row.ordinal, row.id, segmentsOfCells(shape, cells), fingerprint);
          if (row.clears) counts.toClear++;
          return;
        }
        if (segments === undefined) {
          // Only a full sample stops the segments being built, and it takes no more customers.
          if (spool.wantsSegments()) throw new TypeError(`customer ${row.ordinal} came without its segments`);
          if (row.clears) counts.toClear++;
          return;
        }
        const fingerprint = this.fingerprints ? fingerprintOf(segments) : undefined;
        if (fingerprint !== undefined && this.setAsideUnchanged(row, fingerprint)) return;
        spool.addCustomer(row.ordinal, row.id, segments, fingerprint);
        if (row.clears) counts.toClear++;
        return;
      }
      case 'part':
        // Long customers are counted in settle(): only then is it known whether a record spoils them.
        if (row.opens) ledger.open(row.ordinal, true);
        ledger.addLongRecord(row.ordinal, row.line, row.segments.length, row.invalid);
        if (row.invalid !== undefined) {
          this.countReason(row.invalid);
          this.diff?.present(row.id);
          rowLog.known(row.file, row.line, row.id, 'invalid', row.invalid);
          return;
        }
        spool.addLongRecord(row.ordinal, row.id, row.segments[0]);
        rowLog.longRecord(row.ordinal, row.file, row.line, row.id);
        return;
      case 'invalid':
        counts.invalid++;
        if (!row.skipped) this.countReason(row.reason);
        // Named by the input, so not gone from it: mirror does not clear it.
        if (row.id !== '') this.diff?.present(row.id);
        rowLog.known(row.file, row.line, row.id, 'invalid', row.reason);
        return;
      case 'duplicate':
        counts.duplicates++;
        rowLog.known(row.file, row.line, row.id, 'duplicate', duplicateDetail(row, this.displays));
        return;
    }
  }

  /** diff, mirror: a customer whose fingerprint the state holds is counted as unchanged (true), not spooled. */
  private setAsideUnchanged(row: Extract<ClassifiedRow, { kind: 'customer' }>, fingerprint: number): boolean {
    const unchanged = this.diff?.unchanged(row.id, fingerprint);
    if (!unchanged) return false;
    this.ledger.setUnchanged(row.ordinal, unchanged.since, unchanged.notFound);
    this.counts.unchanged++;
    return true;
  }

  /** After the last row: long customers are complete, so they can be counted. */
  settle(facts: FileFacts[], read: ReadTally): Intake {
    const { counts, ledger } = this;
    ledger.settleLong();
    for (let ordinal = 0; ordinal < ledger.customers; ordinal++) {
      if (!ledger.isLong(ordinal)) continue;
      if (ledger.isSpoiled(ordinal)) {
        counts.invalid += ledger.recordsOf(ordinal);
        continue;
      }
      counts.customers++;
      if (ledger.longClears(ordinal)) counts.toClear++;
    }
    counts.repeatedHeaders = facts.reduce((sum, f) => sum + f.repeatedHeaders, 0);
    const invalidReasons = [...this.reasons].sort((a, b) => b[1] - a[1]);
    return { counts, facts, read, invalidReasons, ledger, spool: this.spool, rowLog: this.rowLog };
  }

  /** Reasons that differ only in numbers ("line 12", "got 3") are one reason. */
  private countReason(reason: string): void {
    const key = reason.replace(/\d+/g, 'N');
    if (this.reasons.size >= MAX_REASONS && !this.reasons.has(key)) return;
    this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
  }
}

/** diff/mirror runs that know their endpoint consult the state (a dry run without one cannot). */
export function keepsState(config: Pick<RunConfig, 'mode' | 'endpoint'>): boolean {
  return config.mode !== 'full' && config.endpoint !== undefined;
}

/** Customers a dry run keeps for the plan's sample request body. */
export const SAMPLE_CUSTOMERS = 2;

/** Distinct reasons tallied for the plan; the rest are still counted as invalid. */
const MAX_REASONS = 1_000;

function duplicateDetail(row: Extract<ClassifiedRow, { kind: 'duplicate' }>, displays: readonly string[]): string {
  const where = displays.length > 1 || row.keptFile !== row.file ? ` of ${displays[row.keptFile]}` : '';
  return `duplicate of line ${row.keptLine}${where}`;
}

/** How the input stage reads the files, from the run's options. */
export function readOptions(config: RunConfig): InputOptions {
  return {
    idColumn: config.idColumn,
    delimiter: config.delimiter,
    layout: config.layout,
    skipEmpty: config.skipEmpty,
    maxRecordBytes: config.maxRecordBytes,
    maxFields: DEFAULTS.maxFields,
    byteLimits: {
      maxInputBytes: config.maxInputBytes,
      maxCompressionRatio: config.maxCompressionRatio,
      ratioAfterBytes: DEFAULTS.compressionRatioAfterBytes,
    },
    encoding: config.encoding,
    segmentColumns: config.segmentColumns,
    ignoreColumns: config.ignoreColumns,
  };
}
