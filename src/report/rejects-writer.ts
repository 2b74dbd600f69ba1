/**
 * rejects.csv: the customers the endpoint rejected one by one (a 400 for the customer sent alone,
 * while it accepts others), in the input's layout (the retry encoder's) plus a `reason` column with
 * the endpoint's answer. They are not in retry.csv: resending them unchanged gets the same 400.
 * Fix them at the source; the file reads back as an input with `--ignore-columns reason`.
 *
 * Like retry.csv, the file is only created when the first rejected customer arrives, and a run
 * with none leaves no rejects.csv at all (not even one from an earlier run in the same dir).
 * Input cells are quoted but not formula-neutralised (they must read back exactly); the reason,
 * text from the endpoint, is neutralised like any report cell meant for people.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Customer } from '../types.js';
import { ChunkedOutput } from './chunked-output.js';
import { csvCell, csvRecord, neutraliseFormula } from './csv.js';
import { REPORT_FILES } from './files.js';
import { retryCells, type RetryCells, type RetrySpec } from './retry-encoding.js';

/** The preferred name of the reason column. */
export const REASON_COLUMN = 'reason';

export class RejectsWriter {
  private output: ChunkedOutput | undefined;
  private readonly header: string;

  private constructor(
    private readonly target: string,
    private readonly cells: RetryCells,
    readonly reasonColumn: string,
  ) {
    this.header = csvRecord([...cells.header, reasonColumn]);
  }

  static open(dir: string, spec: RetrySpec): RejectsWriter {
    const cells = retryCells(spec);
    return new RejectsWriter(path.join(dir, REPORT_FILES.rejects), cells, reasonColumnFor(cells.header));
  }

  add(customer: Customer, reason: string): void {
    const reasonCell = csvCell(neutraliseFormula(reason));
    let records = '';
    for (const row of this.cells.rows(customer)) records += `${row.map(csvCell).join(',')},${reasonCell}\n`;
    void this.opened().append(records);
  }

  /** The path of rejects.csv, or undefined when no customer was rejected (then no file is left). */
  async commit(): Promise<string | undefined> {
    if (this.output === undefined) {
      await fs.rm(this.target, { force: true });
      return undefined;
    }
    await this.output.commit();
    return this.target;
  }

  async abort(): Promise<void> {
    await this.output?.abort();
  }

  private opened(): ChunkedOutput {
    if (this.output === undefined) {
      this.output = ChunkedOutput.create(this.target);
      void this.output.append(this.header);
    }
    return this.output;
  }
}

/** `reason`, or `reason_2`, … when a column of the input already has that name. */
export function reasonColumnFor(header: readonly string[]): string {
  const taken = new Set(header.map((name) => name.toLowerCase()));
  if (!taken.has(REASON_COLUMN)) return REASON_COLUMN;
  for (let n = 2; ; n++) if (!taken.has(`${REASON_COLUMN}_${n}`)) return `${REASON_COLUMN}_${n}`;
}
