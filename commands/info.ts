import {CrCommand} from '../src/cli/base-command.js';

export default class Info extends CrCommand {
  static override summary = 'Show whether BLCR checkpoint support is present and which interface it speaks.';
  static override description = `Opens /proc/checkpoint/ctrl and runs the CR_OP_VERSION handshake (interface 0.10, BLCR 0.8.x).
Exits 38 with "support missing from kernel" when the BLCR modules are not loaded, and 53 (CR_EVERSION) when the
kernel module speaks another interface version; both versions are then named.`;
  static override examples = ['<%= config.bin %> info', '<%= config.bin %> info --json'];

  async run() {
    await this.parse(Info);
    const {blcrInfo} = await import('../src/index.js');
    const info = blcrInfo();
    this.log(`BLCR: ${info.ctrlFile} present, kernel interface ${info.interface} (BLCR ${info.blcrRelease}), version check passed`);
    return info;
  }
}
