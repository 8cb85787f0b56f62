import {Args} from '@oclif/core';
import {CrCommand} from '../src/cli/base-command.js';

export default class Verify extends CrCommand {
  static override summary = 'Verify a checkpoint, or every checkpoint of a directory.';
  static override description = `Checks the context file's header and trailer (spec §6), its manifest, its size and its SHA-256.
Exits 0 when everything verifies, 1 when something does not (each problem is named).`;
  static override examples = ['<%= config.bin %> verify /scratch/ckpt', '<%= config.bin %> verify --json job.ctx'];
  static override args = {path: Args.string({description: 'checkpoint file or directory', required: true})};

  async run() {
    const {args} = await this.parse(Verify);
    const reports = await (await import('../src/index.js')).verifyStore(args.path);
    for (const r of reports) this.log(r.ok ? `ok    ${r.file}` : `BAD   ${r.file}: ${r.problems.join('; ')}`);
    if (this.jsonEnabled()) this.logJson(reports.map(({manifest: _m, ...r}) => r));
    if (reports.some((r) => !r.ok)) this.exit(1);
    if (reports.length === 0) this.warn(`no checkpoints in ${args.path}`);
  }
}
