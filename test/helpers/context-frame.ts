// The outer frame of a context file (spec §6), which BLCR and the test kernel write alike: the
// 20-byte header, the first process section's thread count and the 12-byte trailer. (What lies
// inside the sections differs: ./context.ts parses the test kernel's.)
import {expect} from 'chai';
import fs from 'node:fs';

const MAGIC = Buffer.from([0x43, 0, 0, 0, 0x52, 0, 0, 0]);
const TRAILER = Buffer.from([0, 0, 0, 0, 0x00, 0x0f, 0x41, 0x00, 0xff, 0xff, 0xff, 0xff]);

export interface Frame {
  version: number;
  scope: number;
  arch: number;
  /** num_threads of the first process section. */
  firstThreads: number;
  size: number;
}

/** Read FILE's frame; fails the test unless it has the magic and ends with the trailer. */
export function contextFrame(file: string): Frame {
  const buf = fs.readFileSync(file);
  expect(buf.length, `${file}: size`).to.be.greaterThan(32);
  expect(buf.subarray(0, 8).equals(MAGIC), `${file}: magic`).to.equal(true);
  expect(buf.subarray(buf.length - 12).equals(TRAILER), `${file}: trailer`).to.equal(true);
  return {version: buf.readInt32LE(8), scope: buf.readInt32LE(12), arch: buf.readInt32LE(16), firstThreads: buf.readInt32LE(20), size: buf.length};
}
