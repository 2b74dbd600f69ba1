/**
 * A report file that exists only when it has records (retry.csv, rejects.csv): created with its
 * header when the first record arrives; committed with none, it removes any file of that name, so
 * a report dir reused by a retried pod never keeps an earlier attempt's list beside this summary.
 */
import { promises as fs } from 'node:fs';
import { ChunkedOutput } from './chunked-output.js';

export class LazyReportFile {
  private output: ChunkedOutput | undefined;

  constructor(
    private readonly target: string,
    private readonly header: string,
  ) {}

  /**
   * Appends records (line ends included). Chunks are chained inside ChunkedOutput and awaited by
   * commit(): these files are small enough that back-pressure is not worth an await per record.
   */
  append(records: string): void {
    if (this.output === undefined) {
      this.output = ChunkedOutput.create(this.target);
      void this.output.append(this.header);
    }
    void this.output.append(records);
  }

  /** The file's path, or undefined when it had no records (then no file is left at all). */
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
}
