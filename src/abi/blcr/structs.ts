// koffi declarations of BLCR's argument structs (spec §2), built on first use.
import {koffi} from '../koffi.js';
import {CR_MAX_RSTRT_RELOC} from './constants.js';

let types: ReturnType<typeof declare> | undefined;

function declare() {
  const k = koffi();
  const pair = k.struct('cr_rstrt_relocate_pair', {oldpath: 'const char *', newpath: 'const char *'});
  return {
    /** struct cr_chkpt_args: 28 bytes, align 4. */
    chkptArgs: k.struct('cr_chkpt_args', {
      cr_target: 'int32', cr_scope: 'int32', cr_fd: 'int32', cr_secs: 'uint32',
      dump_format: 'int32', signal: 'int32', flags: 'uint32',
    }),
    /** struct cr_rstrt_args: 24 bytes, align 8. */
    rstrtArgs: k.struct('cr_rstrt_args', {cr_fd: 'int32', signal: 'int32', relocate: 'void *', flags: 'uint32'}),
    /** struct cr_rstrt_relocate with room for CR_MAX_RSTRT_RELOC pairs: 8-byte header, pairs at
     *  offset 8, 264 bytes = CR_RSTRT_RELOCATE_SIZE(16). The kernel reads only `count` pairs. */
    rstrtRelocate: k.struct('cr_rstrt_relocate', {count: 'uint32', path: k.array(pair, CR_MAX_RSTRT_RELOC)}),
    /** struct cr_rstrt_relocate_pair: 16 bytes, align 8. */
    rstrtRelocatePair: pair,
    /** struct cr_log_args: 16 bytes, align 8. */
    logArgs: k.struct('cr_log_args', {len: 'uint32', buf: 'void *'}),
    /** struct cr_procs_tbl: 8 bytes, align 4. */
    procsTbl: k.struct('cr_procs_tbl', {threads: 'int32', clone_flags: 'int32'}),
    /** struct cr_fwd_args: 8 bytes, align 4. */
    fwdArgs: k.struct('cr_fwd_args', {cr_target: 'int32', cr_scope: 'int32'}),
    /** struct cr_chkpt_info: 24 bytes, align 8. */
    chkptInfo: k.struct('cr_chkpt_info', {requester: 'int32', target: 'int32', scope: 'int32', signal: 'int32', dest: 'void *'}),
  };
}

/** The struct types, declared once per process. */
export function blcrStructs() {
  types ??= declare();
  return types;
}

/** Fields of struct cr_chkpt_args. */
export interface ChkptArgs {
  cr_target: number;
  cr_scope: number;
  cr_fd: number;
  cr_secs: number;
  dump_format: number;
  signal: number;
  flags: number;
}

/** Encode a struct value into a fresh Buffer of the struct's exact size. */
export function encodeStruct(type: ReturnType<typeof declare>[keyof ReturnType<typeof declare>], value: object): Buffer {
  const k = koffi();
  const buf = Buffer.alloc(k.sizeof(type));
  k.encode(buf, 0, type, value);
  return buf;
}

/** Size and offsets of a koffi struct, for the layout tests. */
export function layoutOf(type: ReturnType<typeof declare>[keyof ReturnType<typeof declare>]): {size: number; align: number; offsets: Record<string, number>} {
  const k = koffi();
  const offsets: Record<string, number> = {};
  for (const name of Object.keys((type as any).members)) offsets[name] = k.offsetof(type, name);
  return {size: k.sizeof(type), align: k.alignof(type), offsets};
}
