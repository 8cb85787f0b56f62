// Which kernel the end-to-end tests run against, and what differs between the two.
//
//   CR_TEST_KERNEL=test (default)  the test kernel: cr runs with libcr_testkernel.so preloaded, the
//                                  targets with the stand-in libcr_run from test/kernel/build
//   CR_TEST_KERNEL=blcr            the real BLCR module (/proc/checkpoint/ctrl of the running kernel):
//                                  nothing preloaded into cr, the targets under BLCR's own
//                                  libcr_run.so.0 from $CR_BLCR_PREFIX/lib (the BLCR lane's guest)
//
// CR_TEST_TIME_FACTOR scales every timeout and wait of the tests (default 1 with the test kernel,
// 8 with BLCR: in the lane's TCG guest one cr invocation takes several seconds).
import path from 'node:path';
import {TK_BUILD} from './paths.js';

export type KernelName = 'test' | 'blcr';

function selected(): KernelName {
  const v = process.env.CR_TEST_KERNEL ?? 'test';
  if (v !== 'test' && v !== 'blcr') throw new Error(`CR_TEST_KERNEL must be test or blcr, got ${v}`);
  return v;
}

/** The kernel these tests run against. */
export const KERNEL: KernelName = selected();
export const ON_BLCR = KERNEL === 'blcr';

/** BLCR's install directory (lib/libcr_run.so.0 ...), with the blcr kernel only. */
export const BLCR_PREFIX: string | undefined = ON_BLCR ? blcrPrefix() : undefined;

function blcrPrefix(): string {
  const p = process.env.CR_BLCR_PREFIX;
  if (!p) throw new Error('CR_TEST_KERNEL=blcr needs CR_BLCR_PREFIX, the BLCR install directory (it holds lib/libcr_run.so.0)');
  return p;
}

/** The directory holding libcr_run.so.0 and libcr_omit.so.0 for targets (LD_LIBRARY_PATH for cr run). */
export const LIBCR_DIR = ON_BLCR ? path.join(BLCR_PREFIX!, 'lib') : TK_BUILD;

/** The preload library of a target: BLCR's libcr_run / libcr_omit, or the test kernel's stand-ins. */
export const libcr = (which: 'run' | 'omit') => path.join(LIBCR_DIR, which === 'run' ? 'libcr_run.so.0' : 'libcr_omit.so.0');

const factor = Number(process.env.CR_TEST_TIME_FACTOR ?? (ON_BLCR ? 8 : 1));
if (!(factor >= 1)) throw new Error(`CR_TEST_TIME_FACTOR must be a number >= 1, got ${process.env.CR_TEST_TIME_FACTOR}`);

/** A timeout (ms) scaled for the kernel the tests run on. */
export const scaled = (ms: number) => Math.round(ms * factor);

/** How often waits look again (ms): in the one-CPU TCG guest a tight loop of /proc scans would
 *  take the CPU from the very cr process it waits for. */
export const POLL_MS = ON_BLCR ? 100 : 10;

type Body = (this: Mocha.Context) => Promise<void> | void;

/**
 * A test whose assertions hold for the test kernel only: `why` (in the title) says what the test
 * relies on. With the blcr kernel it is listed as pending under that title, never dropped silently.
 */
export function itTestKernel(title: string, why: string, body: Body): void {
  const full = `${title} (test kernel only: ${why})`;
  if (ON_BLCR) it.skip(full, body);
  else it(full, body);
}
