/**
 * retry.csv: the customers that failed, in the input's layout. The file is only created when the
 * first failure arrives, so a run where nothing failed leaves no retry.csv at all.
 */
import path from 'node:path';
import { promises as fs } from 'node:fs';
import type { Customer } from '../types.js';
import { ChunkedOutput } from './chunked-output.js';
import { REPORT_FILES } from './files.js';
import { retryEncoder, type RetryEncoder, type RetrySpec } from './retry-encoding.js';

export class RetryWriter {
  private output: ChunkedOutput | undefined;

  private constructor(
    private readonly target: string,
    private readonly encoder: RetryEncoder,
  ) {}

  static open(dir: string, spec: RetrySpec): RetryWriter {
    return new RetryWriter(path.join(dir, REPORT_FILES.retry), retryEncoder(spec));
  }

  add(customer: Customer): void {
    // Chunks are chained inside ChunkedOutput and awaited by commit(); failures are rare enough that
    // back-pressure is not worth making this async.
    const records = this.encoder.encode(customer);
    void this.opened().append(records);
  }

  /**
   * The path of retry.csv, or undefined when nothing failed. Then no file is left at all, not even
   * one from an earlier attempt written to the same report dir (a retried shard pod reuses its dir).
   */
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
      void this.output.append(this.encoder.header);
    }
    return this.output;
  }
}
