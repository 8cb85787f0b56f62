// The BLCR ABI, three ways: the numbers of spec/blcr-abi.md (written out below), koffi's layouts,
// and a C program compiled from the project's own header (native/include/cr_blcr.h).
import {expect} from 'chai';
import {blcrStructs, CR_CHKPT, CR_OP, CR_RSTRT, CR_SCOPE, CR_DEST_CWD, CR_MAX_RSTRT_RELOC, CR_MODULE_VERSION, CR_RSTRT_CLONE_FLAGS, CR_SIGNUM, layoutOf} from '../../src/abi/blcr/index.js';
import {CR_E} from '../../src/errors/index.js';
import {cAbiNumbers, expectStructLayout} from '../helpers/c-abi.js';

/** spec/blcr-abi.md §1 (gcc-checked values). */
const SPEC_OPS: Record<keyof typeof CR_OP, number> = {
  HAND_CHKPT: 0x4008a101, HAND_ABORT: 0x4008a102, HAND_PHASE1: 0x4008a105, HAND_SUSP: 0xc008a106,
  HAND_PHASE2: 0x4008a107, HAND_DONE: 0x4008a108, HAND_SRC: 0x8008a109, HAND_CHKPT_INFO: 0x8008a10a,
  CHKPT_REQ: 0x4008a110, CHKPT_REAP: 0x0000a112, CHKPT_FWD: 0x4008a113, CHKPT_LOG: 0x8008a114,
  RSTRT_REQ: 0x4008a120, RSTRT_REAP: 0x0000a122, RSTRT_CHILD: 0x0000a123, RSTRT_PROCS: 0x8008a126,
  RSTRT_LOG: 0x8008a127, VERSION: 0x4008a130,
};

/** spec/blcr-abi.md §2: [size, align, offsets]. */
const SPEC_STRUCTS = {
  chkptArgs: ['cr_chkpt_args', 28, 4, {cr_target: 0, cr_scope: 4, cr_fd: 8, cr_secs: 12, dump_format: 16, signal: 20, flags: 24}],
  rstrtArgs: ['cr_rstrt_args', 24, 8, {cr_fd: 0, signal: 4, relocate: 8, flags: 16}],
  rstrtRelocatePair: ['cr_rstrt_relocate_pair', 16, 8, {oldpath: 0, newpath: 8}],
  logArgs: ['cr_log_args', 16, 8, {len: 0, buf: 8}],
  procsTbl: ['cr_procs_tbl', 8, 4, {threads: 0, clone_flags: 4}],
  fwdArgs: ['cr_fwd_args', 8, 4, {cr_target: 0, cr_scope: 4}],
  chkptInfo: ['cr_chkpt_info', 24, 8, {requester: 0, target: 4, scope: 8, signal: 12, dest: 16}],
} as const;

describe('BLCR ABI (x86_64)', () => {
  let c: Record<string, number>;
  before(function () {
    this.timeout(30_000);
    c = cAbiNumbers('test/abi/print-abi.c', ['native/include']);
  });

  it('encodes every ioctl number as the spec gives it (size 8, never the struct size)', () => {
    for (const [name, value] of Object.entries(SPEC_OPS)) {
      expect(CR_OP[name as keyof typeof CR_OP], name).to.equal(value);
      expect(c[`CR_OP_${name}`] >>> 0, `C CR_OP_${name}`).to.equal(value);
    }
    expect(CR_OP.CHKPT_REQ).to.not.equal(0x401ca110);
    expect(CR_OP.RSTRT_REQ).to.not.equal(0x4018a120);
  });

  for (const [key, [cname, size, align, offsets]] of Object.entries(SPEC_STRUCTS)) {
    it(`lays out struct ${cname} as ${size} bytes, align ${align}`, () => {
      expectStructLayout(c, cname, {size, align, offsets}, layoutOf(blcrStructs()[key as keyof typeof SPEC_STRUCTS]));
    });
  }

  it('sizes the relocation table as CR_RSTRT_RELOCATE_SIZE(n) = 8 + 16n', () => {
    const k = layoutOf(blcrStructs().rstrtRelocate);
    expect(k.offsets).to.deep.equal({count: 0, path: 8});
    expect(k.size).to.equal(264);
    expect(c['sizeof struct cr_rstrt_relocate']).to.equal(8);
    expect(c['offsetof struct cr_rstrt_relocate.path']).to.equal(8);
    expect(c['CR_RSTRT_RELOCATE_SIZE(16)']).to.equal(264);
  });

  it('sizes the context file header (20) and section header (12)', () => {
    expect(c['sizeof struct cr_context_file_header']).to.equal(20);
    expect(c['sizeof struct cr_section_header']).to.equal(12);
  });

  it('agrees on scopes, flags, constants and the version argument', () => {
    expect(CR_SCOPE).to.deep.equal({PROC: 0, PGRP: 1, SESS: 2, TREE: 3});
    for (const [k, v] of Object.entries(CR_SCOPE)) expect(c[`CR_SCOPE_${k}`]).to.equal(v);
    expect(CR_CHKPT).to.deep.equal({PROHIBIT_SELF: 1, PTRACED_ALLOW: 2, PTRACED_SKIP: 4, PTRACER_SKIP: 8, ASYNC_ERR: 0x10, DUMP_EXEC: 0x200, DUMP_PRIVATE: 0x400, DUMP_SHARED: 0x800, DUMP_ALL: 0xe00});
    for (const [k, v] of Object.entries(CR_CHKPT)) expect(c[`CR_CHKPT_${k}`], k).to.equal(v);
    expect(CR_RSTRT).to.deep.equal({ASYNC_ERR: 1, RESTORE_PID: 2, RESTORE_PGID: 4, RESTORE_SID: 8});
    for (const [k, v] of Object.entries(CR_RSTRT)) expect(c[`CR_RSTRT_${k}`], k).to.equal(v);
    expect(CR_MODULE_VERSION).to.equal(0xa);
    expect(c.CR_MODULE_VERSION).to.equal(0xa);
    expect([CR_DEST_CWD, CR_MAX_RSTRT_RELOC, CR_SIGNUM, CR_RSTRT_CLONE_FLAGS]).to.deep.equal([-4096, 16, 64, 0x410f00]);
    expect([c.CR_DEST_CWD, c.CR_MAX_RSTRT_RELOC, c.CR_SIGNUM, c.CR_RSTRT_CLONE_FLAGS]).to.deep.equal([-4096, 16, 64, 0x410f00]);
  });

  it('numbers BLCR errors from 2354 (CR_ETEMPFAIL) to 2365 (CR_ENOINIT)', () => {
    expect(Object.values(CR_E)).to.deep.equal([2354, 2355, 2356, 2357, 2358, 2359, 2360, 2361, 2362, 2363, 2364, 2365]);
    for (const [k, v] of Object.entries(CR_E)) expect(c[k], k).to.equal(v);
  });
});
