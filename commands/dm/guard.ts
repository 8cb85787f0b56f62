import {CrCommand} from '../../src/cli/base-command.js';

export default class DmGuard extends CrCommand {
  static override hidden = true;
  static override summary = 'Resume the devices a checkpoint suspended if that cr process dies first (started by cr checkpoint --quiesce).';
  static override description = 'Reads `suspending NAME`, `resumed NAME` and `done` lines on stdin. When stdin ends without `done`, resumes the devices still suspended, newest first. Ignores SIGINT, SIGTERM, SIGHUP and SIGQUIT: only the end of its input ends it.';

  async run() {
    await this.parse(DmGuard);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => {});
    const cr = await import('../../src/index.js');
    const outcome = await cr.runGuard();
    if (outcome.failed.length > 0) throw new cr.CrError(`dm guard: could not resume ${outcome.failed.length} device(s)`, {exitCode: 1, code: 'EGUARD', details: outcome.failed.map((f) => `${f.name}: ${f.error.message}`)});
    return outcome;
  }
}
