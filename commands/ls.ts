import {Args} from '@oclif/core';
import {CrCommand} from '../src/cli/base-command.js';

export default class Ls extends CrCommand {
  static override summary = 'List the checkpoints of a directory (directory mode), oldest first.';
  static override description = 'Shows job, sequence, time, size and whether each checkpoint is complete (a valid manifest that matches the file). `cr verify` also checks the checksums.';
  static override examples = ['<%= config.bin %> ls /scratch/ckpt', '<%= config.bin %> ls --json /scratch/ckpt'];
  static override args = {dir: Args.string({description: 'checkpoint directory', required: true})};

  async run() {
    const {args} = await this.parse(Ls);
    const path = await import('node:path');
    const dir = path.resolve(args.dir);
    const checkpoints = await (await import('../src/index.js')).listStore(dir);
    for (const e of checkpoints) this.log(`${e.time}  ${e.job}  #${e.sequence}  ${String(e.size ?? '-').padStart(12)}  ${e.status}  ${e.file}`);
    return {dir, checkpoints};
  }
}
