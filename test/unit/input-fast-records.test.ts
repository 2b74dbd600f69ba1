/**
 * The fast path must read every input exactly as csv-parse does: the same records, the same line
 * numbers, and (handing over to csv-parse) the same problem at the same line. Random inputs built
 * from the characters that matter (delimiters, quotes, CR, LF, multi-byte characters), fed in
 * random chunks that split CRLFs and characters, are read both ways and compared.
 */
import { CsvRecords } from '../../src/pipeline/input/csv-records.js';
import { mulberry32, type Random } from '../../src/emulator/prng.js';

interface Reading {
  records: [number, string[]][];
  problem: string | undefined;
  /** Whether the fast path read to the end (undefined when csv-parse read everything). */
  fastToTheEnd?: boolean;
}

function read(bytes: Buffer, chunks: number[], fastPath: boolean, delimiter = ',', maxRecordBytes = 1 << 20): Reading {
  const csv = new CsvRecords(delimiter, maxRecordBytes, fastPath);
  const records: [number, string[]][] = [];
  const drain = (): string | undefined => {
    for (let record = csv.next(); record !== undefined; record = csv.next()) records.push([csv.line, record]);
    const problem = csv.problem();
    return problem === undefined ? undefined : `${problem.code} at line ${problem.line}`;
  };
  let at = 0;
  for (const size of [...chunks, bytes.length]) {
    csv.write(bytes.subarray(at, Math.min(bytes.length, at + size)));
    at = Math.min(bytes.length, at + size);
    const problem = drain();
    if (problem !== undefined) return fastPath ? { records, problem, fastToTheEnd: false } : { records, problem };
  }
  csv.end();
  const problem = drain();
  return fastPath ? { records, problem, fastToTheEnd: csv.fastPath } : { records, problem };
}

/** Splits `length` bytes into random chunk sizes (1 byte to a few hundred). */
function chunking(random: Random, length: number): number[] {
  const sizes: number[] = [];
  for (let total = 0; total < length;) {
    const size = 1 + Math.floor(random() * (random() < 0.5 ? 4 : 300));
    sizes.push(size);
    total += size;
  }
  return sizes;
}

const WELL_FORMED_FIELDS = [
  '',
  'a',
  'gold',
  'C0001',
  ' x ',
  'é',
  '😀',
  '"q"',
  '"a,b"',
  '"line\nbreak"',
  '"cr\r\nlf"',
  '"say ""hi"""',
  '""',
];
const ANYTHING = ['a', ',', '"', '\n', '\r', '\r\n', ';', 'é', '😀', ' ', 'b"c', '""'];

/** A file of well-formed records (quoted fields among them), with any line breaks. */
function wellFormed(random: Random): string {
  const lines: string[] = [];
  const rows = Math.floor(random() * 40);
  for (let r = 0; r < rows; r++) {
    const fields = Array.from(
      { length: 1 + Math.floor(random() * 4) },
      () => WELL_FORMED_FIELDS[Math.floor(random() * WELL_FORMED_FIELDS.length)],
    );
    lines.push(fields.join(','));
  }
  const breaks = ['\n', '\r\n', '\r'];
  let text = lines.map((line) => line + breaks[Math.floor(random() * breaks.length)]).join('');
  if (random() < 0.3) text = text.replace(/(\r\n|\n|\r)$/, '');
  if (random() < 0.2) text = `\ufeff${text}`;
  return text;
}

/** Anything at all: unclosed quotes, quotes inside fields, text after closing quotes. */
function anything(random: Random): string {
  return Array.from({ length: Math.floor(random() * 60) }, () => ANYTHING[Math.floor(random() * ANYTHING.length)]).join('');
}

describe('the fast path reads like csv-parse', () => {
  it.each([
    ['well-formed files', wellFormed, 1],
    ['malformed files', anything, 2],
  ])('on 2,000 random %s in random chunks', (_what, make, seed) => {
    const random = mulberry32(seed);
    let handedOver = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(make(random));
      const chunks = chunking(random, bytes.length);
      const expected = read(bytes, [bytes.length], false);
      const { fastToTheEnd, ...actual } = read(bytes, chunks, true);
      // Well-formed files never need csv-parse.
      if (make === wellFormed && !fastToTheEnd) throw new Error(`handed over ${JSON.stringify(bytes.toString())}`);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(
          `differs on ${JSON.stringify(bytes.toString())} in chunks ${JSON.stringify(chunks)}:\n fast ${JSON.stringify(actual)}\n csv-parse ${JSON.stringify(expected)}`,
        );
      }
      if (expected.problem !== undefined) handedOver++;
    }
    // The malformed files do exercise csv-parse's errors after a hand-over.
    if (make === anything) expect(handedOver).toBeGreaterThan(500);
  });

  it('with another delimiter, and the byte order mark only at the start', () => {
    const bytes = Buffer.from('\ufeffid;tier\r\n1;"a;b"\n\ufeff2;c\n');
    const { fastToTheEnd, ...fast } = read(bytes, [1, 2, 5], true, ';');
    expect(fastToTheEnd).toBe(true);
    expect(fast).toEqual(read(bytes, [bytes.length], false, ';'));
    expect(read(bytes, [1, 2, 5], true, ';').records[0]).toEqual([1, ['id', 'tier']]);
  });

  it('leaves a record over the cap to csv-parse, which names it', () => {
    const bytes = Buffer.from(`id,tier\n1,${'x'.repeat(200)}\n2,b\n`);
    const { fastToTheEnd, ...fast } = read(bytes, [7, 50], true, ',', 100);
    expect(fastToTheEnd).toBe(false);
    expect(fast).toEqual(read(bytes, [bytes.length], false, ',', 100));
    expect(fast.problem).toBe('RECORD_TOO_LARGE at line 2');
  });

  it('numbers lines after quoted line breaks and blank lines', () => {
    const bytes = Buffer.from('id,v\n\n1,"a\nb\r\nc"\r2,x\n');
    expect(read(bytes, [3, 3, 3, 3], true).records).toEqual([
      [1, ['id', 'v']],
      [2, ['']],
      [3, ['1', 'a\nb\r\nc']],
      [6, ['2', 'x']],
    ]);
  });
});
