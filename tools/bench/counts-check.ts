/** The check that makes a figure worth printing: the CLI did the whole job on the generated file. */
import type { RunFinished } from './child.js';
import type { FileFacts } from './generate.js';

/**
 * Throws unless the CLI's counts match what the generator wrote; after a real run (`sent`) against
 * an emulator with --known-all, every customer must also have been updated.
 */
export function checkCounts(what: string, finished: RunFinished, facts: FileFacts, sent: boolean): void {
  const { counts } = finished;
  const expected = {
    rows: facts.rows,
    customers: facts.customers,
    invalid: 0,
    duplicates: facts.duplicates ?? facts.rows - facts.customers,
    ...(sent ? { updated: facts.customers } : {}),
  };
  for (const [name, value] of Object.entries(expected)) {
    const got = counts[name as keyof typeof counts];
    if (got !== value) throw new Error(`${what}: the CLI counted ${name} = ${got}, the generated file holds ${value}`);
  }
}
