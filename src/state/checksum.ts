/** CRC-32 of a journal line, as 8 hex digits: cheap, and enough to spot a line torn by kill -9. */
import zlib from 'node:zlib';

/** zlib.crc32 exists from Node 20.15; older 20.x gets the same values from the table below. */
const nativeCrc32 = (zlib as { crc32?: (data: string | Uint8Array) => number }).crc32;

let table: Uint32Array | undefined;

function crcTable(): Uint32Array {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  return table;
}

/** The CRC-32 zlib computes, in plain code: used where zlib.crc32 is missing. */
export function portableCrc32(bytes: Uint8Array): number {
  const t = crcTable();
  let crc = 0xffffffff;
  // `as number`: the table has 256 entries and the index is masked to 0..255.
  for (const byte of bytes) crc = (t[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function crc32Hex(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  const crc = nativeCrc32 ? nativeCrc32(bytes) : portableCrc32(bytes);
  return crc.toString(16).padStart(8, '0');
}
