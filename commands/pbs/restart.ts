import {CrCommand} from '../../src/cli/base-command.js';

export default class PbsRestart extends CrCommand {
  static override summary = 'PBS Professional / OpenPBS pbs_mom $action restart script.';
  static override description = `Arguments, as configured: SID JOBID DIR. Restarts the newest checkpoint of the job in DIR/JOBID that
verifies and ends as the restarted job ends. Failures exit as cr restart.`;
  static override examples = ['<%= config.bin %> pbs restart -- 4242 17.server /var/spool/pbs/checkpoint'];
  static override strict = false;
  static override enableJsonFlag = false;
  static override flags = {};

  async run() {
    const {argv} = await this.parse(PbsRestart);
    const cr = await import('../../src/index.js');
    const r = await cr.runRestart(cr.pbsRestartOptions(argv as string[]), {json: false, quiet: true, verbose: 0}, (w) => this.warning(w));
    return this.endAsJob(r.exit);
  }
}
