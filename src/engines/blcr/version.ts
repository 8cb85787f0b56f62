// The CR_OP_VERSION handshake, and naming the kernel's version when it refuses ours.
import {CR_E, CrError, exitCodeForErrno, KernelError} from '../../errors/index.js';
import {CR_MODULE_MAJOR, CR_MODULE_MINOR, CR_MODULE_VERSION} from '../../abi/blcr/constants.js';
import type {CtrlFile} from '../../abi/blcr/ctrl.js';

export interface InterfaceVersion {
  major: number;
  minor: number;
}

/** cr's own interface version: BLCR 0.8.x speaks kernel module interface 0.10. */
export const CR_INTERFACE: InterfaceVersion = {major: CR_MODULE_MAJOR, minor: CR_MODULE_MINOR};

export const formatVersion = (v: InterfaceVersion) => `${v.major}.${v.minor}`;

/** The ranges the mismatch probe tries. The real module logs a warning for every VERSION it
 *  refuses, so the probe stays small: at most 16 + 3 + 8 = 27 calls, once, on a mismatch. */
const PROBE = {minorsOfMajor0: 16, majors: 3, minorBits: 8} as const;

/** Which interface the kernel accepts, found by asking: with major 0 only the exact minor passes;
 *  with a larger major every minor up to the kernel's passes (binary search). Undefined if nothing
 *  in the probed ranges passes. */
export function probeKernelInterface(ctrl: Pick<CtrlFile, 'version'>): InterfaceVersion | undefined {
  for (let minor = 0; minor < PROBE.minorsOfMajor0; minor++) if (ctrl.version(minor) === 0) return {major: 0, minor};
  for (let major = 1; major <= PROBE.majors; major++) {
    if (ctrl.version(major << 16) !== 0) continue;
    let lo = 0; // passes
    let hi = 1 << PROBE.minorBits; // first minor not known to pass
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (ctrl.version((major << 16) | mid) === 0) lo = mid;
      else hi = mid;
    }
    return {major, minor: lo};
  }
  return undefined;
}

/** Mismatch error naming both versions. */
export class VersionMismatchError extends CrError {
  constructor(readonly kernel: InterfaceVersion | undefined) {
    const theirs = kernel ? `interface ${formatVersion(kernel)}` : 'an interface version cr could not determine';
    super(`BLCR version mismatch: cr speaks kernel interface ${formatVersion(CR_INTERFACE)} (BLCR 0.8.x), the kernel module speaks ${theirs}`, {
      exitCode: exitCodeForErrno(CR_E.CR_EVERSION),
      code: 'CR_EVERSION',
    });
  }
}

/** CR_OP_VERSION(0xA); throws VersionMismatchError (naming both versions) or KernelError. */
export function checkVersion(ctrl: CtrlFile): InterfaceVersion {
  const r = ctrl.version(CR_MODULE_VERSION);
  if (r === 0) return CR_INTERFACE;
  if (-r === CR_E.CR_EVERSION) throw new VersionMismatchError(probeKernelInterface(ctrl));
  throw new KernelError('CR_OP_VERSION', -r);
}
