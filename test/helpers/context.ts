// Parsing a context file written by the test kernel: the outer frame of spec §6, the 112-byte
// linkage entries and the payload records of test/kernel/tk_format.h.
import {expect} from 'chai';
import fs from 'node:fs';

// Record tags of test/kernel/tk_format.h.
export const TAG = {
  END: 0, EXE: 1, CWD: 2, ARGV: 3, ENVIRON: 4, COMM: 5, STATE: 6, FDS: 7, MAPS: 8,
  EXEFILE: 9, PRIVFILE: 10, SHAREDFILE: 11, PAGES: 12,
} as const;
export const BASIC_TAGS = [TAG.EXE, TAG.CWD, TAG.ARGV, TAG.ENVIRON, TAG.COMM, TAG.STATE, TAG.FDS, TAG.MAPS];
export const TRAILER = Buffer.from([0, 0, 0, 0, 0x00, 0x0f, 0x41, 0x00, 0xff, 0xff, 0xff, 0xff]);
const LINKAGE_SIZE = 112;

export interface Rec { tag: number; data: Buffer }
export interface Link { tid: number; tgid: number; ppid: number; pgid: number; sid: number; uid: number; numThreads: number; comm: string }
export interface Section { numThreads: number; cloneFlags: number; tmpFd: number; links: Link[]; vma: Buffer; records: Rec[] }
export interface Context { version: number; scope: number; arch: number; sections: Section[]; trailer: boolean }

export function parseContext(buf: Buffer): Context {
  let off = 0;
  const i32 = (): number => {
    const v = buf.readInt32LE(off);
    off += 4;
    return v;
  };
  expect(buf.length, 'context file size').to.be.greaterThan(32);
  expect(buf.subarray(0, 8).equals(Buffer.from([0x43, 0, 0, 0, 0x52, 0, 0, 0])), 'magic').to.equal(true);
  off = 8;
  const version = i32();
  const scope = i32();
  const arch = i32();
  const sections: Section[] = [];
  for (;;) {
    const numThreads = i32();
    const cloneFlags = i32();
    const tmpFd = i32();
    if (numThreads === 0) break;
    expect(i32(), 'linkage byte count').to.equal(numThreads * LINKAGE_SIZE);
    const links: Link[] = [];
    for (let t = 0; t < numThreads; t++) {
      const e = buf.subarray(off, off + LINKAGE_SIZE);
      off += LINKAGE_SIZE;
      links.push({
        tid: e.readInt32LE(0), tgid: e.readInt32LE(4), ppid: e.readInt32LE(8), pgid: e.readInt32LE(12),
        sid: e.readInt32LE(16), uid: e.readUInt32LE(20), numThreads: e.readInt32LE(40),
        comm: e.subarray(48, 64).toString('latin1').replace(/\0[\s\S]*$/, ''),
      });
    }
    const vma = buf.subarray(off, off + 8);
    off += 8;
    const records: Rec[] = [];
    for (;;) {
      const tag = buf.readUInt32LE(off);
      expect(buf.readUInt32LE(off + 4), 'record reserved field').to.equal(0);
      const len = Number(buf.readBigUInt64LE(off + 8));
      off += 16;
      records.push({tag, data: buf.subarray(off, off + len)});
      off += len;
      if (tag === TAG.END) break;
    }
    sections.push({numThreads, cloneFlags, tmpFd, links, vma, records});
  }
  const trailer = off === buf.length && buf.subarray(buf.length - 12).equals(TRAILER);
  return {version, scope, arch, sections, trailer};
}


/** A summary of a context file for the CLI tests; throws when the framing is wrong. */
export function walkContext(file: string) {
  const ctx = parseContext(fs.readFileSync(file));
  expect(ctx.trailer, `${file}: trailer`).to.equal(true);
  return {
    ...ctx,
    sections: ctx.sections.map((s) => {
      const records = new Map<number, Buffer[]>();
      for (const r of s.records) if (r.tag !== TAG.END) records.set(r.tag, [...(records.get(r.tag) ?? []), r.data]);
      return {threads: s.numThreads, cloneFlags: s.cloneFlags, tids: s.links.map((l) => l.tid), tgid: s.links[0].tgid, records};
    }),
  };
}
