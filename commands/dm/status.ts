import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class DmStatus extends CrCommand {
  static override summary = 'Show a device-mapper device: its state and its targets\' status lines (or table lines).';
  static override description = 'Like `dmsetup info` followed by `dmsetup status` (or `dmsetup table` with --table). A mirror\'s status line is also shown parsed: legs, regions in sync, health and the log.';
  static override examples = ['<%= config.bin %> dm status vg-lv', '<%= config.bin %> dm status vg-lv --table --json'];
  static override args = {name: Args.string({description: 'device name', required: true})};
  static override flags = {table: Flags.boolean({summary: 'Show the table lines instead of the status lines.'})};

  async run() {
    const {args, flags} = await this.parse(DmStatus);
    const cr = await import('../../src/index.js');
    const result = await cr.dmStatus(args.name, {table: flags.table});
    for (const line of cr.formatDmStatus(result)) this.log(line);
    return result;
  }
}
