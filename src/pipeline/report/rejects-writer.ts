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
import type { Customer } from '../../core/types.js';
import { LazyReportFile } from './lazy-file.js';
import { csvCell, csvRecord, neutraliseFormula } from './csv.js';
import { REPORT_FILES } from '../../core/report-files.js';
import { retryCells, type RetryCells, type RetrySpec } from './retry-encoding.js';

/** The preferred name of the reason column. */
export const REASON_COLUMN = 'reason';

export class RejectsWriter {
  private constructor(
    private readonly file: LazyReportFile,
    private readonly cells: RetryCells,
    readonly reasonColumn: string,
  ) {}

  static open(dir: string, spec: RetrySpec): RejectsWriter {
    const cells = retryCells(spec);
    const reasonColumn = reasonColumnFor(cells.header);
    return new RejectsWriter(
      new LazyReportFile(path.join(dir, REPORT_FILES.rejects), csvRecord([...cells.header, reasonColumn])),
      cells,
      reasonColumn,
    );
  }

  add(customer: Customer, reason: string): void {
    const reasonCell = csvCell(neutraliseFormula(reason));
    let records = '';
    for (const row of this.cells.rows(customer)) records += `${row.map(csvCell).join(',')},${reasonCell}\n`;
    this.file.append(records);
  }

  /** The path of rejects.csv, or undefined when no customer was rejected (then no file is left). */
  commit(): Promise<string | undefined> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}

/** `reason`, or `reason_2`, … when a column of the input already has that name. */
export function reasonColumnFor(header: readonly string[]): string {
  const taken = new Set(header.map((name) => name.toLowerCase()));
  if (!taken.has(REASON_COLUMN)) return REASON_COLUMN;
  for (let n = 2; ; n++) if (!taken.has(`${REASON_COLUMN}_${n}`)) return `${REASON_COLUMN}_${n}`;
}
