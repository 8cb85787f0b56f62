// Walks a context file written by the test kernel (outer frame of spec §6, records of test/kernel/tk_format.h).
import fs from 'node:fs';

export const REC = {END: 0, EXE: 1, CWD: 2, ARGV: 3, ENVIRON: 4, COMM: 5, STATE: 6, FDS: 7, MAPS: 8, EXEFILE: 9, PRIVFILE: 10, SHAREDFILE: 11, PAGES: 12} as const;

export interface Section {
  threads: number;
  cloneFlags: number;
  tids: number[];
  tgid: number;
  records: Map<number, Buffer[]>;
}

export interface ContextFile {
  version: number;
  scope: number;
  arch: number;
  sections: Section[];
  trailer: Buffer;
}

/** Parse the whole file; throws on any framing error. */
export function walkContext(file: string): ContextFile {
  const b = fs.readFileSync(file);
  let o = 0;
  const i32 = () => {
    const v = b.readInt32LE(o);
    o += 4;
    return v;
  };
  if (b.readInt32LE(0) !== 0x43 || b.readInt32LE(4) !== 0x52) throw new Error('bad magic');
  o = 8;
  const version = i32();
  const scope = i32();
  const arch = i32();
  const sections: Section[] = [];
  for (;;) {
    const start = o;
    const threads = i32();
    const cloneFlags = i32();
    i32();
    if (threads === 0) {
      const trailer = b.subarray(start, o);
      if (o !== b.length) throw new Error(`${b.length - o} bytes after the trailer`);
      return {version, scope, arch, sections, trailer};
    }
    const linkBytes = i32();
    const tids: number[] = [];
    let tgid = 0;
    for (let e = 0; e < linkBytes / 112; e++) {
      tids.push(b.readInt32LE(o + e * 112));
      tgid = b.readInt32LE(o + e * 112 + 4);
    }
    o += linkBytes;
    if (b.toString('latin1', o, o + 3) !== 'VMA') throw new Error(`no vmadump header at ${o}`);
    o += 8;
    const records = new Map<number, Buffer[]>();
    for (;;) {
      const tag = b.readUInt32LE(o);
      const len = Number(b.readBigUInt64LE(o + 8));
      o += 16;
      if (tag === REC.END) break;
      const list = records.get(tag) ?? [];
      list.push(b.subarray(o, o + len));
      records.set(tag, list);
      o += len;
    }
    sections.push({threads, cloneFlags, tids, tgid, records});
  }
}
