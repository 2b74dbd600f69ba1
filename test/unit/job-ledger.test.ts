import { Ledger } from '../../src/pipeline/ledger.js';
import type { CustomerOutcome } from '../../src/core/types.js';

function ledgerOf(n: number, long = false): Ledger {
  const ledger = new Ledger();
  for (let i = 0; i < n; i++) ledger.open(i, long);
  return ledger;
}

describe('Ledger: customers', () => {
  it('opens customers in ordinal order only', () => {
    const ledger = ledgerOf(2);
    expect(ledger.customers).toBe(2);
    expect(() => ledger.open(5, false)).toThrow('customer 5 opened out of order (next is 2)');
    expect(() => ledger.open(1, false)).toThrow(RangeError);
  });

  it('remembers which customers are long, also past its initial size', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 5000; i++) ledger.open(i, i % 3 === 0);
    expect(ledger.customers).toBe(5000);
    for (const i of [0, 1, 2, 3, 1023, 1024, 4998, 4999]) expect(ledger.isLong(i)).toBe(i % 3 === 0);
    expect(ledger.isLong(5000)).toBe(false);
  });

  it('counts one record for a wide customer, and every record of a long one', () => {
    const ledger = new Ledger();
    ledger.open(0, false);
    ledger.open(1, true);
    ledger.open(2, true);
    for (let i = 0; i < 3; i++) ledger.addLongRecord(1, 10 + i, 1, undefined);
    ledger.addLongRecord(1, 20, 0, 'broken');
    expect([ledger.recordsOf(0), ledger.recordsOf(1), ledger.recordsOf(2)]).toEqual([1, 4, 0]);
  });
});

describe('Ledger: outcomes', () => {
  it('is pending until an outcome is set, then gives it back', () => {
    const ledger = ledgerOf(5);
    expect(ledger.outcome(0)).toBeUndefined();
    expect(ledger.isPending(0)).toBe(true);
    const outcomes: CustomerOutcome[] = ['updated', 'not_found', 'failed', 'not_sent'];
    outcomes.forEach((outcome, i) => ledger.setOutcome(i, outcome));
    expect([0, 1, 2, 3, 4].map((i) => ledger.outcome(i))).toEqual([...outcomes, undefined]);
    expect([0, 1, 2, 3, 4].map((i) => ledger.isPending(i))).toEqual([false, false, false, false, true]);
  });

  it('lets a later outcome replace an earlier one (a retry after not_sent)', () => {
    const ledger = ledgerOf(1);
    ledger.setOutcome(0, 'not_sent', 'not sent: run interrupted');
    ledger.setOutcome(0, 'updated');
    expect(ledger.outcome(0)).toBe('updated');
  });

  it('keeps the long flag and the spoiled flag when an outcome is set', () => {
    const ledger = ledgerOf(1, true);
    ledger.addLongRecord(0, 2, 1, 'broken');
    ledger.setOutcome(0, 'failed', 'x');
    expect(ledger.isLong(0)).toBe(true);
    expect(ledger.isSpoiled(0)).toBe(true);
    expect(ledger.outcome(0)).toBe('failed');
  });

  it('marks outcomes taken from an earlier run as resumed, and a new outcome clears the mark', () => {
    const ledger = ledgerOf(2);
    ledger.setOutcome(0, 'updated', undefined, true);
    ledger.setOutcome(1, 'updated');
    expect([ledger.wasResumed(0), ledger.wasResumed(1)]).toEqual([true, false]);
    ledger.setOutcome(0, 'not_found');
    expect(ledger.wasResumed(0)).toBe(false);
    expect(ledger.outcome(0)).toBe('not_found');
  });

  it('keeps each customer its last error, interning repeated messages', () => {
    const ledger = ledgerOf(3000);
    for (let i = 0; i < 3000; i++)
      ledger.setOutcome(i, 'failed', i % 2 === 0 ? 'HTTP 503 (after 6 attempts)' : `HTTP 400: customer ${i % 5}`);
    expect(ledger.error(0)).toBe('HTTP 503 (after 6 attempts)');
    expect(ledger.error(2999)).toBe('HTTP 400: customer 4');
    expect(ledger.error(1001)).toBe('HTTP 400: customer 1');
    // 1 + 5 distinct messages, whatever the number of customers.
    const messages = (ledger as unknown as { messages: string[] }).messages;
    expect(new Set(messages).size).toBe(messages.length);
    expect(messages.length).toBeLessThanOrEqual(6);
    ledger.setOutcome(0, 'not_sent', 'not sent: authentication rejected');
    expect(ledger.error(0)).toBe('not sent: authentication rejected');
  });

  it('has no error for a customer never given one', () => {
    const ledger = ledgerOf(2);
    ledger.setOutcome(1, 'failed', 'boom');
    expect(ledger.error(0)).toBeUndefined();
    expect(ledgerOf(1).error(0)).toBeUndefined();
  });
});

describe('Ledger: long customers', () => {
  it('is spoiled by its first broken record, which is named with its line', () => {
    const ledger = ledgerOf(2, true);
    ledger.addLongRecord(0, 2, 1, undefined);
    ledger.addLongRecord(0, 5, 0, 'blank value for segment type "tier"');
    ledger.addLongRecord(0, 9, 0, 'a second problem');
    ledger.addLongRecord(1, 3, 1, undefined);
    expect(ledger.isSpoiled(0)).toBe(true);
    expect(ledger.spoiler(0)).toEqual({ reason: 'blank value for segment type "tier"', line: 5 });
    expect(ledger.isSpoiled(1)).toBe(false);
    expect(ledger.spoiler(1)).toBeUndefined();
    expect(ledger.settleLong()).toEqual([]);
  });

  it('clears a customer whose only record is blank', () => {
    const ledger = ledgerOf(1, true);
    ledger.addLongRecord(0, 4, 0, undefined);
    expect(ledger.settleLong()).toEqual([]);
    expect(ledger.longClears(0)).toBe(true);
    expect(ledger.isSpoiled(0)).toBe(false);
  });

  it('is spoiled by a blank record among other records, wherever it is, once pass 1 settles', () => {
    const ledger = ledgerOf(3, true);
    // 0: blank first, then a segment; 1: segment first, then blank; 2: segments only.
    ledger.addLongRecord(0, 2, 0, undefined);
    ledger.addLongRecord(1, 3, 1, undefined);
    ledger.addLongRecord(2, 4, 1, undefined);
    ledger.addLongRecord(0, 10, 1, undefined);
    ledger.addLongRecord(1, 11, 0, undefined);
    ledger.addLongRecord(2, 12, 1, undefined);
    expect(ledger.isSpoiled(0)).toBe(false);
    expect(ledger.settleLong().sort()).toEqual([0, 1]);
    expect([0, 1, 2].map((o) => ledger.isSpoiled(o))).toEqual([true, true, false]);
    expect(ledger.spoiler(0)).toEqual({ line: 2, reason: expect.stringContaining('line 2 has a blank type and value') });
    expect(ledger.spoiler(1)).toEqual({ line: 11, reason: expect.stringContaining('line 11 has a blank type and value') });
    expect(ledger.spoiler(0)!.reason).toContain("only as the customer's single row");
    expect([0, 1, 2].map((o) => ledger.longClears(o))).toEqual([false, false, false]);
  });

  it('keeps the broken record as the spoiler when the customer also has a blank record, and reports it spoiled once', () => {
    const ledger = ledgerOf(1, true);
    ledger.addLongRecord(0, 2, 1, undefined);
    ledger.addLongRecord(0, 3, 0, undefined);
    ledger.addLongRecord(0, 4, 0, 'empty segment type');
    expect(ledger.settleLong()).toEqual([]);
    expect(ledger.spoiler(0)).toEqual({ reason: 'empty segment type', line: 4 });
  });

  it('does not spoil or clear a customer whose broken record is its only one (already spoiled)', () => {
    const ledger = ledgerOf(1, true);
    ledger.addLongRecord(0, 2, 0, 'empty segment type');
    expect(ledger.settleLong()).toEqual([]);
    expect(ledger.isSpoiled(0)).toBe(true);
    expect(ledger.longClears(0)).toBe(false);
  });

  it('settles alike when called twice', () => {
    const ledger = ledgerOf(2, true);
    ledger.addLongRecord(0, 2, 1, undefined);
    ledger.addLongRecord(0, 3, 0, undefined);
    ledger.addLongRecord(1, 4, 0, undefined);
    expect(ledger.settleLong()).toEqual([0]);
    expect(ledger.settleLong()).toEqual([]);
    expect(ledger.isSpoiled(0)).toBe(true);
    expect(ledger.longClears(1)).toBe(true);
  });

  it('handles long records for thousands of customers (columns grow)', () => {
    const ledger = new Ledger();
    for (let i = 0; i < 4000; i++) ledger.open(i, true);
    for (let i = 3999; i >= 0; i--) ledger.addLongRecord(i, i + 2, i % 2, undefined);
    for (let i = 0; i < 4000; i += 2) ledger.addLongRecord(i, 9000 + i, 1, undefined);
    const spoiled = ledger.settleLong();
    expect(spoiled).toHaveLength(2000);
    expect(ledger.recordsOf(3998)).toBe(2);
    expect(ledger.recordsOf(3999)).toBe(1);
    expect(ledger.longClears(3999)).toBe(false);
  });
});
