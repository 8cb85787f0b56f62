import {CrCommand} from '../../src/cli/base-command.js';

export default class DmLs extends CrCommand {
  static override summary = 'List the device-mapper devices: name, major:minor, state, uuid.';
  static override description = 'Reads /dev/mapper/control (root needed): LIST_DEVICES, then each device\'s status.';
  static override examples = ['<%= config.bin %> dm ls', '<%= config.bin %> dm ls --json'];

  async run() {
    await this.parse(DmLs);
    const cr = await import('../../src/index.js');
    const devices = await cr.dmList();
    for (const line of cr.formatDmList(devices)) this.log(line);
    return {devices};
  }
}
