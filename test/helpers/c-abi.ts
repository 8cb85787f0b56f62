// ABI layouts checked against C: compile a test/**/print-*.c program (test/abi/print-json.h) with
// the machine's compiler, run it, and compare its numbers with the spec's and koffi's.
import {expect} from 'chai';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {ROOT} from './paths.js';

/** The "key": number document a print program writes; `source` is relative to the repository. */
export function cAbiNumbers(source: string, includeDirs: string[] = []): Record<string, number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-abi-'));
  try {
    const exe = path.join(dir, path.basename(source, '.c'));
    execFileSync('cc', ['-std=gnu11', '-Wall', '-Werror', ...includeDirs.flatMap((d) => ['-I', path.join(ROOT, d)]), '-o', exe, path.join(ROOT, source)]);
    return JSON.parse(execFileSync(exe, {encoding: 'utf8'}));
  } finally {
    fs.rmSync(dir, {recursive: true, force: true});
  }
}

export interface Layout {
  size: number;
  align: number;
  offsets: Record<string, number>;
}

/** One struct, three ways: the spec's numbers, koffi's layout, and the C program's. */
export function expectStructLayout(c: Record<string, number>, cname: string, spec: Layout, koffi: Layout): void {
  expect(koffi.size, 'koffi size').to.equal(spec.size);
  expect(koffi.align, 'koffi align').to.equal(spec.align);
  expect(koffi.offsets, 'koffi offsets').to.deep.equal(spec.offsets);
  expect(c[`sizeof struct ${cname}`], 'C size').to.equal(spec.size);
  expect(c[`alignof struct ${cname}`], 'C align').to.equal(spec.align);
  for (const [field, off] of Object.entries(spec.offsets)) expect(c[`offsetof struct ${cname}.${field}`], `C offsetof ${field}`).to.equal(off);
}
