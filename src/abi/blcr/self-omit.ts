// cr's own CR_SIGNUM handler (native/build/libcr-self-omit.so): with it installed, a checkpoint
// whose scope includes cr leaves cr out (HAND_ABORT(OMIT), as BLCR's libcr_omit answers) instead
// of failing, so the request needs no CR_CHKPT_PROHIBIT_SELF.
import {KernelError} from '../../errors/index.js';
import {nativeBuildPath} from '../../util/native-path.js';
import {koffi} from '../koffi.js';

export const SELF_OMIT_LIBRARY = 'libcr-self-omit.so';

let state: {install: () => number} | null | undefined;

function load() {
  if (state === undefined) {
    const file = nativeBuildPath(SELF_OMIT_LIBRARY);
    if (!file) return (state = null);
    const lib = koffi().load(file);
    state = {install: lib.func('int cr_self_omit_install(void)') as () => number};
  }
  return state;
}

/** Install the handler for CR_SIGNUM (every thread of cr answers with OMIT). false when the
 *  library was not built; throws when sigaction(2) fails. Idempotent. */
export function installSelfOmit(): boolean {
  const lib = load();
  if (!lib) return false;
  const r = lib.install();
  if (r < 0) throw new KernelError('sigaction(CR_SIGNUM)', -r);
  return true;
}
