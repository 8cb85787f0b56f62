// `cr info`: is BLCR there, and does it speak our interface?
import {CR_CTRL_FILE} from '../../abi/blcr/constants.js';
import {CtrlFile} from '../../abi/blcr/ctrl.js';
import {checkVersion, formatVersion} from './version.js';

export interface BlcrInfo {
  ctrlFile: string;
  present: boolean;
  /** The interface both sides agreed on (CR_OP_VERSION passed). */
  interface: string;
  blcrRelease: string;
  versionOk: boolean;
}

/** Open the control file and run the VERSION handshake; throws the same errors a checkpoint would. */
export function blcrInfo(): BlcrInfo {
  const ctrl = CtrlFile.open();
  let agreed;
  try {
    agreed = checkVersion(ctrl);
  } finally {
    ctrl.close();
  }
  return {ctrlFile: CR_CTRL_FILE, present: true, interface: formatVersion(agreed), blcrRelease: '0.8.x', versionOk: true};
}
