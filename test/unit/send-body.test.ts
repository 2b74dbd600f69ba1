import { BodyBuffers, RequestBody } from '../../src/pipeline/send/body.js';
import { simpleUpdatedIds } from '../../src/pipeline/send/response.js';
import { reconcile } from '../../src/pipeline/send/reconcile.js';
import type { CustomerRow } from '../../src/core/types.js';

const row = (ordinal: number, id: string, value: string): CustomerRow => ({
  ordinal,
  id,
  json: JSON.stringify({ document_id: id, segments: [{ type: 'tier', value }] }),
  clears: false,
});
const customers = [row(0, 'a', 'gold'), row(1, 'é', 'naïve 😀'), row(2, 'c', 'x"y'), row(3, 'd', 'bronze')];

describe('RequestBody', () => {
  it('encodes exactly the body toString() spells, for the slice of customers it names', () => {
    const buffers = new BodyBuffers(2);
    for (const [start, end] of [
      [0, 4],
      [1, 3],
      [2, 3],
      [0, 0],
    ] as const) {
      const body = new RequestBody(customers, start, end);
      const text = `{"customers":[${customers
        .slice(start, end)
        .map((c) => c.json)
        .join(',')}]}`;
      expect(body.toString()).toBe(text);
      const encoded = body.encode(buffers);
      expect(encoded.bytes.toString('utf8')).toBe(text);
      expect(encoded.bytes.length).toBe(Buffer.byteLength(text));
      buffers.release(encoded.buffer);
    }
  });

  it('reuses a released buffer for the next body, and never one still taken', () => {
    const buffers = new BodyBuffers(2);
    const first = new RequestBody(customers).encode(buffers);
    const second = new RequestBody(customers, 0, 1).encode(buffers);
    expect(second.buffer).not.toBe(first.buffer);
    buffers.release(first.buffer);
    const third = new RequestBody(customers, 0, 2).encode(buffers);
    expect(third.buffer).toBe(first.buffer);
    // The body still in flight was not written over.
    expect(second.bytes.toString('utf8')).toBe(new RequestBody(customers, 0, 1).toString());
  });
});

describe('simpleUpdatedIds', () => {
  it('reads the usual answer, with any JSON whitespace, as JSON.parse does', () => {
    for (const text of [
      '{"updatedCustomers":[]}',
      ' {\n"updatedCustomers" :\t[ "a" , "é😀" ]\r}\n',
      '{"updatedCustomers":["0000000001"]}',
    ]) {
      expect(simpleUpdatedIds(text)).toEqual((JSON.parse(text) as { updatedCustomers: string[] }).updatedCustomers);
    }
  });

  it('leaves every other text to JSON.parse', () => {
    for (const text of [
      '{"updatedCustomers":["a\\"b"]}',
      '{"updatedCustomers":["a"],"x":1}',
      '{"updatedCustomers":["a",]}',
      '{"updatedCustomers":[1]}',
      '{"updatedCustomers":["a"]}x',
      '{"updatedCustomers":["\u0001"]}',
      '{"x":1,"updatedCustomers":[]}',
      '',
    ]) {
      expect(simpleUpdatedIds(text)).toBeUndefined();
    }
  });
});

describe('reconcile, the answer that lists exactly the ids sent in order', () => {
  it('marks every customer updated with nothing unexpected, as the general case does', () => {
    expect(reconcile(['a', 'b'], ['a', 'b'])).toEqual({ outcomes: ['updated', 'updated'], unexpectedIds: [], unexpectedCount: 0 });
    expect(reconcile(['a', 'b'], ['b', 'a']).outcomes).toEqual(['updated', 'updated']);
    expect(reconcile(['a', 'a'], ['a', 'b'])).toEqual({ outcomes: ['updated', 'updated'], unexpectedIds: ['b'], unexpectedCount: 1 });
  });
});
