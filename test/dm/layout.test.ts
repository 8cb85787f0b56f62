// The device-mapper ioctl ABI, three ways: the spec's numbers (kernel-interfaces.md C2-C5, written
// out below), koffi's layouts with the project's offsets, and a C program built against
// <linux/dm-ioctl.h>.
import {expect} from 'chai';
import {DM_CMD, DM_FLAG, DM_IOCTL_OFF, DM_IOCTL_SIZE, DM_DATA_OFFSET, DM_NAME_LIST_FLAG, DM_NAME_LIST_OFF, DM_TARGET_DEPS_OFF, DM_TARGET_SPEC_OFF, DM_TARGET_SPEC_SIZE, DM_TARGET_VERSIONS_OFF, dmIoctlNumber, dmStructs} from '../../src/abi/dm/index.js';
import {layoutOf} from '../../src/abi/blcr/index.js';
import fs from 'node:fs';
import {cAbiNumbers} from '../helpers/c-abi.js';

const HEADER = '/usr/include/linux/dm-ioctl.h';

/** Spec C2. */
const SPEC_DM_IOCTL = {version: 0, data_size: 12, data_start: 16, target_count: 20, open_count: 24, flags: 28, event_nr: 32, padding: 36, dev: 40, name: 48, uuid: 176, data: 305};
/** Spec C4. */
const SPEC_CMDS: Record<keyof typeof DM_CMD, number> = {
  VERSION: 0xc138fd00, REMOVE_ALL: 0xc138fd01, LIST_DEVICES: 0xc138fd02, DEV_CREATE: 0xc138fd03, DEV_REMOVE: 0xc138fd04,
  DEV_RENAME: 0xc138fd05, DEV_SUSPEND: 0xc138fd06, DEV_STATUS: 0xc138fd07, DEV_WAIT: 0xc138fd08, TABLE_LOAD: 0xc138fd09,
  TABLE_CLEAR: 0xc138fd0a, TABLE_DEPS: 0xc138fd0b, TABLE_STATUS: 0xc138fd0c, LIST_VERSIONS: 0xc138fd0d, TARGET_MSG: 0xc138fd0e,
  DEV_SET_GEOMETRY: 0xc138fd0f, DEV_ARM_POLL: 0xc138fd10, GET_TARGET_VERSION: 0xc138fd11,
};
/** Spec C5. */
const SPEC_FLAGS: Record<keyof typeof DM_FLAG, number> = {
  READONLY: 0x1, SUSPEND: 0x2, PERSISTENT_DEV: 0x8, STATUS_TABLE: 0x10, ACTIVE_PRESENT: 0x20, INACTIVE_PRESENT: 0x40,
  BUFFER_FULL: 0x100, SKIP_BDGET: 0x200, SKIP_LOCKFS: 0x400, NOFLUSH: 0x800, QUERY_INACTIVE_TABLE: 0x1000,
  UEVENT_GENERATED: 0x2000, UUID: 0x4000, SECURE_DATA: 0x8000, DATA_OUT: 0x10000, DEFERRED_REMOVE: 0x20000,
  INTERNAL_SUSPEND: 0x40000, IMA_MEASUREMENT: 0x80000,
};
/** C names of the flags that do not follow DM_<NAME>_FLAG. */
const C_FLAG_NAME: Partial<Record<keyof typeof DM_FLAG, string>> = {DEFERRED_REMOVE: 'DM_DEFERRED_REMOVE'};

describe('device-mapper ioctl ABI (x86_64)', () => {
  let c: Record<string, number>;
  before(function () {
    if (!fs.existsSync(HEADER)) this.skip(); // no kernel uapi headers (linux-libc-dev) to compare with
    this.timeout(30_000);
    c = cAbiNumbers('test/dm/print-dm-abi.c');
  });

  it('lays out struct dm_ioctl as 312 bytes, align 8, data at 305', () => {
    const k = layoutOf(dmStructs().dmIoctl as any);
    expect(DM_IOCTL_OFF).to.deep.equal(SPEC_DM_IOCTL);
    expect(k.offsets).to.deep.equal(SPEC_DM_IOCTL);
    expect([k.size, k.align, DM_IOCTL_SIZE, DM_DATA_OFFSET]).to.deep.equal([312, 8, 312, 305]);
    expect([c['sizeof struct dm_ioctl'], c['alignof struct dm_ioctl']]).to.deep.equal([312, 8]);
    for (const [f, off] of Object.entries(SPEC_DM_IOCTL)) expect(c[`offsetof struct dm_ioctl.${f}`], f).to.equal(off);
    expect([c.DM_NAME_LEN, c.DM_UUID_LEN, c.DM_MAX_TYPE_NAME]).to.deep.equal([128, 129, 16]);
  });

  it('lays out struct dm_target_spec as 40 bytes, align 8', () => {
    const spec = {sector_start: 0, length: 8, status: 16, next: 20, target_type: 24};
    const k = layoutOf(dmStructs().dmTargetSpec as any);
    expect(DM_TARGET_SPEC_OFF).to.deep.equal(spec);
    expect(k.offsets).to.deep.equal(spec);
    expect([k.size, k.align, DM_TARGET_SPEC_SIZE]).to.deep.equal([40, 8, 40]);
    expect([c['sizeof struct dm_target_spec'], c['alignof struct dm_target_spec']]).to.deep.equal([40, 8]);
    for (const [f, off] of Object.entries(spec)) expect(c[`offsetof struct dm_target_spec.${f}`], f).to.equal(off);
  });

  it('places the flexible members of dm_target_deps, dm_name_list, dm_target_versions, dm_target_msg', () => {
    const deps = layoutOf(dmStructs().dmTargetDeps as any);
    expect(deps.offsets).to.deep.equal({...DM_TARGET_DEPS_OFF});
    expect([c['sizeof struct dm_target_deps'], c['alignof struct dm_target_deps'], c['offsetof struct dm_target_deps.count'], c['offsetof struct dm_target_deps.padding'], c['offsetof struct dm_target_deps.dev']]).to.deep.equal([8, 8, 0, 4, 8]);
    const nl = layoutOf(dmStructs().dmNameList as any);
    expect(nl.offsets).to.deep.equal({...DM_NAME_LIST_OFF});
    expect(nl.size).to.equal(16);
    expect([c['sizeof struct dm_name_list'], c['alignof struct dm_name_list'], c['offsetof struct dm_name_list.dev'], c['offsetof struct dm_name_list.next'], c['offsetof struct dm_name_list.name']]).to.deep.equal([16, 8, 0, 8, 12]);
    const tv = layoutOf(dmStructs().dmTargetVersions as any);
    expect({...tv.offsets, name: tv.size}).to.deep.equal({...DM_TARGET_VERSIONS_OFF});
    expect([c['sizeof struct dm_target_versions'], c['alignof struct dm_target_versions'], c['offsetof struct dm_target_versions.next'], c['offsetof struct dm_target_versions.version'], c['offsetof struct dm_target_versions.name']]).to.deep.equal([16, 4, 0, 4, 16]);
    expect(tv.align).to.equal(4);
    const msg = layoutOf(dmStructs().dmTargetMsg as any);
    expect([msg.size, c['sizeof struct dm_target_msg'], c['offsetof struct dm_target_msg.message']]).to.deep.equal([8, 8, 8]);
  });

  it('numbers the commands 0xC138FD00 + nr, as the spec and the header do', () => {
    expect(c.DM_IOCTL).to.equal(0xfd);
    for (const [name, value] of Object.entries(SPEC_CMDS)) {
      expect(dmIoctlNumber(DM_CMD[name as keyof typeof DM_CMD]), name).to.equal(value);
      expect(c[`DM_${name}`] >>> 0, `C DM_${name}`).to.equal(value);
    }
  });

  it('agrees on every flag', () => {
    expect(DM_FLAG).to.deep.equal(SPEC_FLAGS);
    for (const [name, value] of Object.entries(SPEC_FLAGS)) {
      const cname = C_FLAG_NAME[name as keyof typeof DM_FLAG] ?? `DM_${name}_FLAG`;
      expect(c[cname], cname).to.equal(value);
    }
    expect([c.DM_NAME_LIST_FLAG_HAS_UUID, c.DM_NAME_LIST_FLAG_DOESNT_HAVE_UUID]).to.deep.equal([DM_NAME_LIST_FLAG.HAS_UUID, DM_NAME_LIST_FLAG.DOESNT_HAVE_UUID]);
    expect(c.DM_VERSION_MAJOR).to.equal(4);
  });
});
