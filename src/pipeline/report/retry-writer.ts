/**
 * retry.csv: the customers not delivered (failed or not sent), in the input's layout. The file is
 * only created when the first one arrives, so a run where everything was delivered leaves none.
 */
import path from 'node:path';
import type { Customer } from '../../core/types.js';
import { REPORT_FILES } from '../../core/report-files.js';
import { LazyReportFile } from './lazy-file.js';
import { retryEncoder, type RetryEncoder, type RetrySpec } from './retry-encoding.js';

export class RetryWriter {
  private constructor(
    private readonly file: LazyReportFile,
    private readonly encoder: RetryEncoder,
  ) {}

  static open(dir: string, spec: RetrySpec): RetryWriter {
    const encoder = retryEncoder(spec);
    return new RetryWriter(new LazyReportFile(path.join(dir, REPORT_FILES.retry), encoder.header), encoder);
  }

  add(customer: Customer): void {
    this.file.append(this.encoder.encode(customer));
  }

  /** The path of retry.csv, or undefined when every customer was delivered (then no file is left). */
  commit(): Promise<string | undefined> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.abort();
  }
}
