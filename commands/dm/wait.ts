import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class DmWait extends CrCommand {
  static override summary = 'Wait for an event on a device-mapper device (DEV_WAIT), then show its status.';
  static override description = 'Waits until the device\'s event counter passes N (default: its current value), then prints the new event number and the status. With --timeout, gives up after DURATION with exit 62 (ETIME).';
  static override examples = ['<%= config.bin %> dm wait vg-mirror', '<%= config.bin %> dm wait vg-mirror --event 3 --timeout 5m'];
  static override args = {name: Args.string({description: 'device name', required: true})};
  static override flags = {
    event: Flags.integer({summary: 'Wait until the event counter differs from N.', helpValue: 'N', min: 0}),
    timeout: Flags.string({summary: 'Give up after DURATION (30s, 5m, 1h).', helpValue: 'DURATION'}),
  };

  async run() {
    const {args, flags} = await this.parse(DmWait);
    const cr = await import('../../src/index.js');
    const result = await cr.dmWait(args.name, {event: flags.event, timeout: flags.timeout});
    for (const line of cr.formatDmWait(result)) this.log(line);
    return result;
  }
}
