import { EncodingChecker, firstInvalidUtf8, incompleteTail } from '../../src/input/encoding.js';
import type { InputProblem } from '../../src/input/problem.js';

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

  test('rejects Latin-1 bytes as invalid UTF-8 on the right line', () => {
    const bytes = Buffer.concat([Buffer.from('document_id,city\r\n1,Cali\r\n'), Buffer.from('2,Bogotá\n', 'latin1')]);
    for (const chunks of allSplits(bytes)) {
      expect(checkAll(chunks)).toMatchObject({ code: 'INVALID_UTF8', line: 3 });
    }
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

  test('rejects a UTF-16 file by its BOM, saying to re-export as UTF-8', () => {
    const problem = checkAll([Buffer.from('\ufeffdocument_id,tier\n', 'utf16le')]);
    expect(problem).toMatchObject({ code: 'UNSUPPORTED_ENCODING', line: 1 });
    expect(problem?.message).toContain('UTF-16');
    expect(problem?.message).toContain('UTF-8');
  });

  test('recognises UTF-16 without a BOM by its NUL pattern', () => {
    expect(checkAll([Buffer.from('document_id,tier\n1,gold\n', 'utf16le')])?.code).toBe('UNSUPPORTED_ENCODING');
  });

  test('rejects NUL bytes elsewhere as a binary file, on the line of the NUL', () => {
    const problem = checkAll([Buffer.from('document_id,tier\n1,gold\n2,si\u0000lver\n')]);
    expect(problem).toMatchObject({ code: 'BINARY_FILE', line: 3 });
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
