import { EncodingChecker, InputDecoder, firstInvalidUtf8, incompleteTail } from '../../src/pipeline/input/encoding.js';
import type { Encoding } from '../../src/pipeline/input/options.js';
import type { InputProblem } from '../../src/pipeline/input/problem.js';

function checkAll(chunks: Buffer[]): InputProblem | undefined {
  const checker = new EncodingChecker();
  for (const chunk of chunks) {
    const problem = checker.check(chunk);
    if (problem) return problem;
  }
  return checker.finish();
}

/** Every way of cutting `bytes` into two chunks. */
function allSplits(bytes: Buffer): Buffer[][] {
  return Array.from({ length: bytes.length + 1 }, (_, i) => [bytes.subarray(0, i), bytes.subarray(i)]);
}

describe('EncodingChecker', () => {
  test('accepts UTF-8 with a BOM and multi-byte characters cut at any chunk boundary', () => {
    const bytes = Buffer.from('\ufeffdocument_id,city\n1,Bogotá\n2,東京 🎉\n');
    for (const chunks of allSplits(bytes)) expect(checkAll(chunks)).toBeUndefined();
  });

  test('rejects Latin-1 bytes as invalid UTF-8 on the right line, naming --encoding', () => {
    const bytes = Buffer.concat([Buffer.from('document_id,city\r\n1,Cali\r\n'), Buffer.from('2,Bogotá\n', 'latin1')]);
    for (const chunks of allSplits(bytes)) {
      expect(checkAll(chunks)).toMatchObject({ code: 'INVALID_UTF8', line: 3 });
    }
    expect(checkAll([bytes])?.message).toContain('--encoding windows-1252');
  });

  test('counts lines across chunks for an error in a later chunk', () => {
    const problem = checkAll([Buffer.from('a\nb\r'), Buffer.from('\nc\rd\n'), Buffer.from([0x65, 0xff])]);
    expect(problem).toMatchObject({ code: 'INVALID_UTF8', line: 5 });
  });

  test('rejects a file that ends inside a multi-byte character', () => {
    const bytes = Buffer.from('id,city\n1,東');
    expect(checkAll([bytes.subarray(0, bytes.length - 1)])).toMatchObject({ code: 'INVALID_UTF8', line: 2 });
  });

  test('rejects overlong encodings and UTF-16 surrogates', () => {
    expect(checkAll([Buffer.from([0x61, 0xc0, 0xaf])])?.code).toBe('INVALID_UTF8');
    expect(checkAll([Buffer.from([0x61, 0xed, 0xa0, 0x80])])?.code).toBe('INVALID_UTF8');
  });

  test('read as UTF-8 (--encoding utf-8), a UTF-16 file is rejected by its BOM, naming --encoding', () => {
    const problem = checkAll([Buffer.from('\ufeffdocument_id,tier\n', 'utf16le')]);
    expect(problem).toMatchObject({ code: 'UNSUPPORTED_ENCODING', line: 1 });
    expect(problem?.message).toContain('UTF-16');
    expect(problem?.message).toContain('--encoding utf-16le');
  });

  test('recognises UTF-16 without a BOM by its NUL pattern, and its byte order', () => {
    expect(checkAll([Buffer.from('document_id,tier\n1,gold\n', 'utf16le')])).toMatchObject({
      code: 'UNSUPPORTED_ENCODING',
      message: expect.stringContaining('--encoding utf-16le'),
    });
    const be = Buffer.from('document_id,tier\n1,gold\n', 'utf16le').swap16();
    expect(checkAll([be])?.message).toContain('--encoding utf-16be');
  });

  test('for decoded text, skips the UTF-8 check but still rejects NUL bytes as binary', () => {
    const checker = new EncodingChecker(false);
    expect(checker.check(Buffer.from('document_id,city\n1,Bogotá\n'))).toBeUndefined();
    expect(checker.check(Buffer.from('2,x\u0000y\n'))).toMatchObject({ code: 'BINARY_FILE', line: 3 });
  });

  test('rejects NUL bytes elsewhere as a binary file, on the line of the NUL', () => {
    const problem = checkAll([Buffer.from('document_id,tier\n1,gold\n2,si\u0000lver\n')]);
    expect(problem).toMatchObject({ code: 'BINARY_FILE', line: 3 });
  });
});

/** Decodes `bytes` cut into chunks of `size` bytes. */
function decodeAll(encoding: Encoding | undefined, bytes: Buffer, size: number): { text: string; encoding: Encoding | undefined } {
  const decoder = new InputDecoder(encoding);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(decoder.write(bytes.subarray(at, at + size)));
  out.push(decoder.end());
  return { text: Buffer.concat(out).toString('utf8'), encoding: decoder.encoding };
}

describe('InputDecoder', () => {
  const text = 'document_id,city\r\n1,Bogotá\r\n2,東京 🎉\r\n';

  test('passes UTF-8 through as it is (the checker validates it), also by default', () => {
    const bytes = Buffer.from(`\ufeff${text}`);
    expect(decodeAll('utf-8', bytes, 5)).toEqual({ text: `\ufeff${text}`, encoding: 'utf-8' });
    expect(decodeAll(undefined, bytes, 1)).toEqual({ text: `\ufeff${text}`, encoding: 'utf-8' });
  });

  test.each([1, 2, 3, 7, 1000])('by default, a UTF-16 BOM selects UTF-16 (chunks of %i bytes), and the BOM is dropped', (size) => {
    const le = Buffer.from(`\ufeff${text}`, 'utf16le');
    expect(decodeAll(undefined, le, size)).toEqual({ text, encoding: 'utf-16le' });
    expect(decodeAll(undefined, Buffer.from(le).swap16(), size)).toEqual({ text, encoding: 'utf-16be' });
  });

  test('decodes UTF-16 without a BOM when told to, surrogate pairs cut anywhere', () => {
    const le = Buffer.from(text, 'utf16le');
    for (const size of [1, 2, 3, 5]) {
      expect(decodeAll('utf-16le', le, size).text).toBe(text);
      expect(decodeAll('utf-16be', Buffer.from(le).swap16(), size).text).toBe(text);
    }
  });

  test('decodes Latin-1 and Windows-1252 (which has € and curly quotes where Latin-1 has controls)', () => {
    const bytes = Buffer.from([0x31, 0x2c, 0x42, 0x6f, 0x67, 0x6f, 0x74, 0xe1, 0x2c, 0x80, 0x93, 0x94, 0x0a]);
    expect(decodeAll('latin1', bytes, 3).text).toBe('1,Bogotá,\u0080\u0093\u0094\n');
    expect(decodeAll('windows-1252', bytes, 3).text).toBe('1,Bogotá,€“”\n');
  });

  test('an empty or one-byte file is UTF-8', () => {
    expect(decodeAll(undefined, Buffer.alloc(0), 1)).toEqual({ text: '', encoding: 'utf-8' });
    expect(decodeAll(undefined, Buffer.from('a'), 1)).toEqual({ text: 'a', encoding: 'utf-8' });
  });
});

describe('UTF-8 helpers', () => {
  test('incompleteTail counts only the bytes of a started, unfinished character', () => {
    const euro = Buffer.from('a€'); // € is 3 bytes
    expect(incompleteTail(euro)).toBe(0);
    expect(incompleteTail(euro.subarray(0, 3))).toBe(2);
    expect(incompleteTail(euro.subarray(0, 2))).toBe(1);
    expect(incompleteTail(Buffer.from([0x61, 0x80]))).toBe(0);
  });

  test('firstInvalidUtf8 finds the offending byte', () => {
    expect(firstInvalidUtf8(Buffer.concat([Buffer.from('añb'), Buffer.from([0xe9, 0x41])]))).toBe(4);
  });
});
