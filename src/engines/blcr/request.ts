// Options -> struct cr_chkpt_args, a pure function (no kernel needed to test it).
import {CR_CHKPT, CR_FORMAT_VMADUMP, SCOPE_BY_NAME} from '../../abi/blcr/constants.js';
import type {ChkptArgs} from '../../abi/blcr/structs.js';
import type {CheckpointOptions} from '../../schema/index.js';

/** The flags cr always sends: errors deferred to REAP, so the log survives. */
export const ALWAYS_CHKPT_FLAGS = CR_CHKPT.ASYNC_ERR;

/** cr_chkpt_args.flags for the options. `selfOmit`: cr has its CR_SIGNUM handler and leaves itself
 *  out of a scope that includes it; without, CR_CHKPT_PROHIBIT_SELF makes that an EDEADLK. */
export function chkptFlags(opts: Pick<CheckpointOptions, 'save' | 'ptraced' | 'ptracer'>, selfOmit = true): number {
  let flags = ALWAYS_CHKPT_FLAGS;
  if (!selfOmit) flags |= CR_CHKPT.PROHIBIT_SELF;
  if (opts.save.exe) flags |= CR_CHKPT.DUMP_EXEC;
  if (opts.save.private) flags |= CR_CHKPT.DUMP_PRIVATE;
  if (opts.save.shared) flags |= CR_CHKPT.DUMP_SHARED;
  if (opts.ptraced === 'allow') flags |= CR_CHKPT.PTRACED_ALLOW;
  if (opts.ptraced === 'skip') flags |= CR_CHKPT.PTRACED_SKIP;
  if (opts.ptracer === 'skip') flags |= CR_CHKPT.PTRACER_SKIP;
  return flags;
}

/** The request for `opts`, writing to `destFd`. */
export function toChkptArgs(opts: CheckpointOptions, destFd: number, selfOmit = true): ChkptArgs {
  return {
    cr_target: opts.target,
    cr_scope: SCOPE_BY_NAME[opts.scope],
    cr_fd: destFd,
    cr_secs: opts.timeSec,
    dump_format: CR_FORMAT_VMADUMP,
    signal: opts.signal,
    flags: chkptFlags(opts, selfOmit),
  };
}
