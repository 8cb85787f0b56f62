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
    const cr = await import('../src/index.js');
    const {resolve} = await import('node:path');
    const reports = await cr.verifyStore(resolve(args.path));
    for (const r of reports) this.log(r.ok ? `ok    ${r.file}` : `BAD   ${r.file}: ${r.problems.join('; ')}`);
    const result = {checkpoints: reports.map(({manifest: _m, ...r}) => r)};
    const bad = reports.filter((r) => !r.ok);
    if (bad.length > 0) throw new cr.CrError(`${bad.length} of ${reports.length} checkpoint(s) do not verify`, {exitCode: 1, code: 'EVERIFY', result});
    if (reports.length === 0) this.warning(`no checkpoints in ${args.path}`);
    return result;
  }
}
