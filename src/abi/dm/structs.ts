// koffi declarations of the device-mapper ioctl structs (spec C2, C3), built on first use. The
// buffers themselves are encoded with the offsets of constants.ts; these declarations exist so the
// layout test can check those offsets against the compiler's (test/dm/layout.test.ts).
import {koffi} from '../koffi.js';
import {DM_MAX_TYPE_NAME, DM_NAME_LEN, DM_UUID_LEN} from './constants.js';

let types: ReturnType<typeof declare> | undefined;

function declare() {
  const k = koffi();
  return {
    /** struct dm_ioctl: 312 bytes, align 8, data at 305. */
    dmIoctl: k.struct('dm_ioctl', {
      version: k.array('uint32', 3),
      data_size: 'uint32',
      data_start: 'uint32',
      target_count: 'uint32',
      open_count: 'int32',
      flags: 'uint32',
      event_nr: 'uint32',
      padding: 'uint32',
      dev: 'uint64',
      name: k.array('char', DM_NAME_LEN, 'Array'),
      uuid: k.array('char', DM_UUID_LEN, 'Array'),
      data: k.array('char', 7, 'Array'),
    }),
    /** struct dm_target_spec: 40 bytes, align 8; the parameter string follows. */
    dmTargetSpec: k.struct('dm_target_spec', {
      sector_start: 'uint64',
      length: 'uint64',
      status: 'int32',
      next: 'uint32',
      target_type: k.array('char', DM_MAX_TYPE_NAME, 'Array'),
    }),
    /** struct dm_target_deps with one element of its flexible dev[] array (C: 8 bytes + 8 per dev). */
    dmTargetDeps: k.struct('dm_target_deps', {count: 'uint32', padding: 'uint32', dev: k.array('uint64', 1)}),
    /** struct dm_name_list with one byte of its flexible name[] (C: sizeof 16, name at 12). */
    dmNameList: k.struct('dm_name_list', {dev: 'uint64', next: 'uint32', name: k.array('char', 1, 'Array')}),
    /** struct dm_target_versions without its flexible name[] (at 16 = sizeof). */
    dmTargetVersions: k.struct('dm_target_versions', {next: 'uint32', version: k.array('uint32', 3)}),
    /** struct dm_target_msg without its flexible message[] (at 8 = sizeof). */
    dmTargetMsg: k.struct('dm_target_msg', {sector: 'uint64'}),
  };
}

/** The struct types, declared once per process. */
export function dmStructs() {
  types ??= declare();
  return types;
}
