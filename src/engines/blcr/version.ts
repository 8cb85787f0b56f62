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

/** Which interface the kernel accepts, found by asking: with major 0 only the exact minor passes;
 *  with a larger major every minor up to the kernel's passes. Undefined if nothing passes. */
export function probeKernelInterface(ctrl: CtrlFile): InterfaceVersion | undefined {
  for (let major = 0; major < 8; major++) {
    let best: number | undefined;
    for (let minor = 0; minor < 256; minor++) {
      if (ctrl.version((major << 16) | minor) === 0) {
        best = minor;
        if (major === 0) break;
      } else if (major > 0 && best !== undefined) break;
    }
    if (best !== undefined) return {major, minor: best};
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
