import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class DmSuspend extends CrCommand {
  static override summary = 'Suspend device-mapper devices, in the order given.';
  static override description = 'If one cannot be suspended, the ones this command already suspended are resumed again (newest first) and both outcomes are reported.';
  static override strict = false;
  static override examples = ['<%= config.bin %> dm suspend vg-data vg-log', '<%= config.bin %> dm suspend --noflush vg-mirror'];
  static override args = {name: Args.string({description: 'device name (one or more)', required: true})};
  static override flags = {
    noflush: Flags.boolean({summary: 'Do not flush queued I/O (the targets may requeue it for after the resume).'}),
    nolockfs: Flags.boolean({summary: 'Do not freeze the filesystem on the device.'}),
  };

  async run() {
    const {argv, flags} = await this.parse(DmSuspend);
    const cr = await import('../../src/index.js');
    const result = await cr.dmSuspend(argv as string[], {noflush: flags.noflush, skipLockfs: flags.nolockfs});
    for (const i of result.suspended) this.log(`suspended ${i.name}`);
    return result;
  }
}
