/**
 * A reader that goes away (`segment-sync validate big.csv | head`) closes the pipe the log goes
 * to, and the next write fails with EPIPE. Node raises that as an unhandled 'error': the job died
 * mid-run, with no report and, while sending, with requests unaccounted for. The report dir holds
 * everything the log would have said, so the job carries on without its log; any other write
 * error is still fatal.
 */
export function carryOnWithoutReader(stream: NodeJS.WritableStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}
