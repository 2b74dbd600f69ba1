import { LineBreakCounter, lineBreaksInRecord, lineBreaksInText } from '../../src/pipeline/input/lines.js';

describe('line breaks', () => {
  test('CRLF, LF and a lone CR each count once', () => {
    expect(lineBreaksInText('a\r\nb\nc\rd')).toBe(3);
    expect(lineBreaksInText('\r\n\r\n')).toBe(2);
    expect(lineBreaksInText('no break')).toBe(0);
  });

  test('sums the breaks of every field of a record', () => {
    expect(lineBreaksInRecord(['a\nb', 'plain', 'c\r\nd\re'])).toBe(3);
  });

  test('the byte counter agrees with the text count whatever the chunking', () => {
    const text = 'h\r\n1\n\r\n2\r3\r\r\n4\n';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const counter = new LineBreakCounter();
      counter.add(bytes.subarray(0, cut));
      counter.add(bytes.subarray(cut));
      expect(counter.count).toBe(lineBreaksInText(text));
    }
  });

  test('counts only up to the given end', () => {
    const counter = new LineBreakCounter();
    counter.add(Buffer.from('a\nb\nc\n'), 3);
    expect(counter.count).toBe(1);
  });
});
