import zlib from 'node:zlib';
import { AckStatusBits } from '../../src/state/ack-status-bits.js';
import { crc32Hex, portableCrc32 } from '../../src/state/checksum.js';
import { decodeHeader, decodeRecord, encodeHeader, encodeRecord } from '../../src/state/journal-format.js';

function ordinalsOf(runs: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < runs.length; i += 2) for (let k = 0; k < runs[i + 1]!; k++) out.push(runs[i]! + k);
  return out;
}

describe('journal record lines', () => {
  it('round-trip the ordinals of each outcome, sorted and without repeats', () => {
    const decoded = decodeRecord(encodeRecord([7, 3, 4, 5, 3, 100], [6, 0]));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(ordinalsOf(decoded.value.updated)).toEqual([3, 4, 5, 7, 100]);
    expect(ordinalsOf(decoded.value.notFound)).toEqual([0, 6]);
  });

  it('encode a contiguous batch as a single run, whatever its size', () => {
    const batch = Array.from({ length: 1000 }, (_, i) => 5000 + i);
    const line = encodeRecord(batch, []);
    expect(line.split('\t')[0]).toBe('{"u":[5000,1000],"n":[]}');
  });

  it('reject a line whose checksum does not match, as a torn write would leave it', () => {
    const line = encodeRecord([1, 2, 3], []);
    expect(decodeRecord(line.slice(0, -3))).toEqual({ ok: false, error: 'checksum mismatch' });
    expect(decodeRecord(line.replace('"u":[1', '"u":[2'))).toEqual({ ok: false, error: 'checksum mismatch' });
    expect(decodeRecord('{"u":[1,2]')).toEqual({ ok: false, error: 'no checksum' });
  });

  it('reject a correctly sealed line whose runs are malformed', () => {
    const json = '{"u":[1,-2],"n":[]}';
    expect(decodeRecord(`${json}\t${crc32Hex(json)}`)).toMatchObject({ ok: false });
  });
});

describe('journal header lines', () => {
  it('round-trip the fingerprint and creation time', () => {
    const header = { fingerprint: 'f'.repeat(64), createdAt: '2024-05-01T00:00:00.000Z' };
    expect(decodeHeader(encodeHeader(header))).toEqual({ ok: true, value: header });
  });

  it('reject a record line in place of a header', () => {
    expect(decodeHeader(encodeRecord([1], []))).toMatchObject({ ok: false });
  });
});

describe('crc32', () => {
  it('gives the same value in plain code as zlib', () => {
    const bytes = Buffer.from('{"u":[0,100],"n":[3,1]} ünïcödé', 'utf8');
    expect(portableCrc32(bytes)).toBe(zlib.crc32(bytes));
    expect(portableCrc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('AckStatusBits', () => {
  it('keeps 2 bits per ordinal, growing as needed, with unknown ordinals undefined', () => {
    const bits = new AckStatusBits();
    bits.set(0, 'updated');
    bits.set(3, 'not_found');
    bits.set(4, 'updated');
    bits.set(1_000_003, 'not_found');
    expect([0, 1, 2, 3, 4].map((o) => bits.get(o))).toEqual(['updated', undefined, undefined, 'not_found', 'updated']);
    expect(bits.get(1_000_003)).toBe('not_found');
    expect(bits.get(1_000_002)).toBeUndefined();
    expect(bits.get(50_000_000)).toBeUndefined();
    expect(bits.get(-1)).toBeUndefined();
    expect(bits.size).toBe(4);
  });

  it('lets a later acknowledgement replace an earlier one without counting it twice', () => {
    const bits = new AckStatusBits();
    bits.setRun(10, 5, 'not_found');
    bits.set(12, 'updated');
    expect(bits.get(12)).toBe('updated');
    expect(bits.get(11)).toBe('not_found');
    expect(bits.size).toBe(5);
  });
});
