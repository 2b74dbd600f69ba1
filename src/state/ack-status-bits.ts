/**
 * The acknowledged status of every customer ordinal, 2 bits each in a growable byte array: a
 * million customers cost 250 KB, where a Map would cost tens of MB.
 */
export type AckStatus = 'updated' | 'not_found';

const UNKNOWN = 0;
const CODE_OF: Record<AckStatus, number> = { updated: 1, not_found: 2 };
const STATUS_OF: (AckStatus | undefined)[] = [undefined, 'updated', 'not_found', undefined];
const INITIAL_BYTES = 1024;

export class AckStatusBits {
  private bytes = new Uint8Array(INITIAL_BYTES);
  private known = 0;

  /** How many ordinals have a status. */
  get size(): number {
    return this.known;
  }

  get(ordinal: number): AckStatus | undefined {
    if (!Number.isInteger(ordinal) || ordinal < 0) return undefined;
    const byte = this.bytes[ordinal >>> 2];
    if (byte === undefined) return undefined;
    return STATUS_OF[(byte >>> shiftOf(ordinal)) & 3];
  }

  /** A later acknowledgement of the same ordinal replaces the earlier one (it is the newer truth). */
  set(ordinal: number, status: AckStatus): void {
    const index = ordinal >>> 2;
    this.ensureCapacity(index);
    const shift = shiftOf(ordinal);
    const byte = this.bytes[index] as number; // ensureCapacity made index < bytes.length
    if (((byte >>> shift) & 3) === UNKNOWN) this.known++;
    this.bytes[index] = (byte & ~(3 << shift)) | (CODE_OF[status] << shift);
  }

  /** Sets `length` consecutive ordinals from `start`: how journal records are replayed. */
  setRun(start: number, length: number, status: AckStatus): void {
    for (let ordinal = start; ordinal < start + length; ordinal++) this.set(ordinal, status);
  }

  private ensureCapacity(index: number): void {
    if (index < this.bytes.length) return;
    // Doubling keeps growth amortised O(1) per ordinal.
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, index + 1));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}

function shiftOf(ordinal: number): number {
  return (ordinal & 3) * 2;
}
