import {Args} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class DmResume extends CrCommand {
  static override summary = 'Resume device-mapper devices, in the order given.';
  static override description = 'An inactive table, if one is loaded, becomes the live one. Every device is tried; failures are reported together.';
  static override strict = false;
  static override examples = ['<%= config.bin %> dm resume vg-data vg-log'];
  static override args = {name: Args.string({description: 'device name (one or more)', required: true})};

  async run() {
    const {argv} = await this.parse(DmResume);
    const cr = await import('../../src/index.js');
    const result = await cr.dmResume(argv as string[]);
    for (const i of result.resumed) this.log(`resumed ${i.name}`);
    return result;
  }
}
