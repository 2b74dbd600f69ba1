import { Ledger } from '../../src/pipeline/ledger.js';
import { NOT_FOUND_DETAIL, resolver, type Unsent } from '../../src/pipeline/result-rows.js';
import { countOutcomes, emptyCounts, tallyRead } from '../../src/pipeline/tally.js';
import type { InputRow } from '../../src/core/types.js';

const SENT: Unsent = { kind: 'not_sent', detail: 'not sent: run interrupted' };
const DRY: Unsent = { kind: 'valid', detail: 'dry run: not sent' };

/** A ledger of `n` wide customers (ordinals 0…n-1). */
function ledgerOf(n: number): Ledger {
  const ledger = new Ledger();
  for (let i = 0; i < n; i++) ledger.open(i, false);
  return ledger;
}

describe('resolver', () => {
  it('maps each outcome of a sent customer to its status and detail', () => {
    const ledger = ledgerOf(4);
    ledger.setOutcome(0, 'updated');
    ledger.setOutcome(1, 'not_found');
    ledger.setOutcome(2, 'failed', 'HTTP 503 after 6 attempts');
    ledger.setOutcome(3, 'failed');
    const resolve = resolver(ledger, SENT);
    expect(resolve(0, 0, 2)).toEqual({ status: 'updated', detail: '' });
    expect(resolve(1, 0, 3)).toEqual({ status: 'not_found', detail: NOT_FOUND_DETAIL });
    expect(resolve(2, 0, 4)).toEqual({ status: 'failed', detail: 'HTTP 503 after 6 attempts' });
    expect(resolve(3, 0, 5)).toEqual({ status: 'failed', detail: 'failed' });
  });

  it("reports a customer the sender gave up on as not_sent, with the sender's reason when it gave one", () => {
    const ledger = ledgerOf(2);
    ledger.setOutcome(0, 'not_sent', 'not sent: authentication rejected');
    ledger.setOutcome(1, 'not_sent');
    const resolve = resolver(ledger, SENT);
    expect(resolve(0, 0, 2)).toEqual({ status: 'not_sent', detail: 'not sent: authentication rejected' });
    expect(resolve(1, 0, 3)).toEqual({ status: 'not_sent', detail: 'not sent: run interrupted' });
  });

  it('reports a customer never sent as not_sent once sending started, and as valid when nothing was to be sent', () => {
    const ledger = ledgerOf(1);
    expect(resolver(ledger, SENT)(0, 0, 2)).toEqual({ status: 'not_sent', detail: 'not sent: run interrupted' });
    expect(resolver(ledger, DRY)(0, 0, 2)).toEqual({ status: 'valid', detail: 'dry run: not sent' });
    expect(resolver(ledger, { kind: 'valid', detail: '' })(0, 0, 2)).toEqual({ status: 'valid', detail: '' });
  });

  it("reports a customer acknowledged by an earlier run with that run's outcome", () => {
    const ledger = ledgerOf(2);
    ledger.setOutcome(0, 'updated', undefined, true);
    ledger.setOutcome(1, 'not_found', undefined, true);
    const resolve = resolver(ledger, SENT);
    expect(resolve(0, 0, 2)).toEqual({ status: 'updated', detail: 'updated by an earlier run (resumed)' });
    expect(resolve(1, 0, 3)).toEqual({ status: 'not_found', detail: NOT_FOUND_DETAIL });
  });

  it('gives every record of a long customer its status, each line resolved alike', () => {
    const ledger = new Ledger();
    ledger.open(0, true);
    for (const line of [2, 3, 9]) ledger.addLongRecord(0, line, 1, undefined);
    ledger.settleLong();
    ledger.setOutcome(0, 'updated');
    const resolve = resolver(ledger, SENT);
    expect([2, 3, 9].map((line) => resolve(0, 0, line))).toEqual(Array(3).fill({ status: 'updated', detail: '' }));
  });

  it('reports every record of a spoiled long customer invalid: the broken one with its reason, the others naming it', () => {
    const ledger = new Ledger();
    ledger.open(0, true);
    ledger.addLongRecord(0, 2, 1, undefined);
    ledger.addLongRecord(0, 5, 0, 'blank value for segment type "tier"');
    ledger.addLongRecord(0, 7, 1, undefined);
    ledger.settleLong();
    const resolve = resolver(ledger, DRY);
    expect(resolve(0, 0, 5)).toEqual({ status: 'invalid', detail: 'blank value for segment type "tier"' });
    expect(resolve(0, 0, 2)).toEqual({
      status: 'invalid',
      detail: 'another row of this customer is invalid (line 5: blank value for segment type "tier")',
    });
    expect(resolve(0, 0, 7)).toEqual(resolve(0, 0, 2));
  });

  it('reports a long customer with a blank record among others invalid, wherever the blank record is', () => {
    const ledger = new Ledger();
    ledger.open(0, true);
    ledger.addLongRecord(0, 2, 1, undefined);
    ledger.addLongRecord(0, 4, 0, undefined);
    expect(ledger.settleLong()).toEqual([0]);
    const resolve = resolver(ledger, SENT);
    expect(resolve(0, 0, 4)).toMatchObject({ status: 'invalid', detail: expect.stringContaining('line 4 has a blank type and value') });
    expect(resolve(0, 0, 2)).toMatchObject({
      status: 'invalid',
      detail: expect.stringMatching(/^another row of this customer is invalid \(line 4: line 4 has a blank/),
    });
  });
});

describe('tally', () => {
  it('starts every count at zero, the new ones included', () => {
    expect(emptyCounts()).toEqual({
      rows: 0,
      invalid: 0,
      duplicates: 0,
      customers: 0,
      toClear: 0,
      updated: 0,
      notFound: 0,
      failed: 0,
      rejected: 0,
      notSent: 0,
      unchanged: 0,
      cleared: 0,
      repeatedHeaders: 0,
    });
  });

  it('tallies rows as read, holding only invalid rows not skipped on purpose against --max-invalid', () => {
    const read: InputRow[] = [
      { file: 0, line: 2, id: 'a', segments: [] },
      { file: 0, line: 3, id: 'b', invalid: 'empty segment type', long: true },
      { file: 0, line: 4, id: 'c', invalid: 'skipped: every segment cell is blank (--skip-empty)', skipped: true },
      { file: 0, line: 5, id: '', invalid: 'empty document_id' },
    ];
    const tally = { rows: 0, invalid: 0 };
    tallyRead(tally, read.slice(0, 2));
    tallyRead(tally, read.slice(2));
    expect(tally).toEqual({ rows: 4, invalid: 2 });
  });

  it('counts each customer once from the ledger: pending ones as not sent, spoiled ones not at all', () => {
    const ledger = ledgerOf(5);
    ledger.setOutcome(0, 'updated');
    ledger.setOutcome(1, 'updated', undefined, true);
    ledger.setOutcome(2, 'not_found');
    ledger.setOutcome(3, 'failed', 'HTTP 500');
    // 4 stays pending: never answered.
    ledger.open(5, true);
    ledger.addLongRecord(5, 9, 0, 'broken');
    ledger.open(6, false);
    ledger.setOutcome(6, 'not_sent', 'not sent: run interrupted');
    const counts = { ...emptyCounts(), updated: 99, notSent: 99 };
    countOutcomes(counts, ledger);
    expect(counts).toMatchObject({ updated: 2, notFound: 1, failed: 1, notSent: 2 });
  });
});
