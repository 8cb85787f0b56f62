// Region bitmaps in the kernel's little-endian layout: bit i is bit i%8 of byte i/8.
// Bits past `size` in the last byte are kept zero, so the bytes can be written to disk as they are.

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

export class Bitset {
  readonly size: number;
  readonly bytes: Buffer;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`Bitset: bad size ${size}`);
    this.size = size;
    this.bytes = Buffer.alloc(Math.ceil(size / 8));
  }

  get(i: number): boolean {
    return (this.bytes[i >> 3] & (1 << (i & 7))) !== 0;
  }

  set(i: number): void {
    this.bytes[i >> 3] |= 1 << (i & 7);
  }

  clear(i: number): void {
    this.bytes[i >> 3] &= ~(1 << (i & 7));
  }

  /** Set every bit in [from, to). */
  setRange(from: number, to: number): void {
    for (let i = from; i < to && i & 7; i++) this.set(i);
    let i = Math.max(from, (from + 7) & ~7);
    if (i >= to) return;
    const whole = to & ~7;
    if (whole > i) this.bytes.fill(0xff, i >> 3, whole >> 3);
    for (i = Math.max(i, whole); i < to; i++) this.set(i);
  }

  /** Clear every bit in [from, to). */
  clearRange(from: number, to: number): void {
    for (let i = from; i < to && i & 7; i++) this.clear(i);
    let i = Math.max(from, (from + 7) & ~7);
    if (i >= to) return;
    const whole = to & ~7;
    if (whole > i) this.bytes.fill(0, i >> 3, whole >> 3);
    for (i = Math.max(i, whole); i < to; i++) this.clear(i);
  }

  setAll(): void {
    this.setRange(0, this.size);
  }

  clearAll(): void {
    this.bytes.fill(0);
  }

  /** Copy another bitset of the same size into this one. */
  copyFrom(other: Bitset): void {
    if (other.size !== this.size) throw new RangeError(`Bitset: copy of ${other.size} bits into ${this.size}`);
    other.bytes.copy(this.bytes);
  }

  /** Load bits [0, count) from a bitmap in the same layout; bits at and past `count` are untouched. */
  loadPrefix(src: Buffer, count: number): void {
    const n = Math.min(count, this.size, src.length * 8);
    const whole = n >> 3;
    src.copy(this.bytes, 0, 0, whole);
    for (let i = whole * 8; i < n; i++) {
      if ((src[i >> 3] & (1 << (i & 7))) !== 0) this.set(i);
      else this.clear(i);
    }
  }

  /** Number of set bits. */
  popcount(): number {
    let n = 0;
    for (let i = 0; i < this.bytes.length; i++) n += POPCOUNT[this.bytes[i]];
    return n;
  }

  /** The first clear bit at or after `from`, or `size` if there is none. */
  findNextClear(from: number): number {
    let i = Math.max(0, from);
    while (i < this.size && i & 7) {
      if (!this.get(i)) return i;
      i++;
    }
    let byte = i >> 3;
    while (byte < this.bytes.length && this.bytes[byte] === 0xff) byte++;
    for (i = Math.max(i, byte * 8); i < this.size; i++) if (!this.get(i)) return i;
    return this.size;
  }
}
