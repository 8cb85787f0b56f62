import {CrCommand} from '../../src/cli/base-command.js';

export default class PbsRestart extends CrCommand {
  static override summary = 'PBS Professional / OpenPBS pbs_mom $action restart script.';
  static override description = `Arguments, as configured: SID JOBID DIR. Restarts the newest checkpoint of the job in DIR/JOBID that
verifies, restoring its pid, process group and session (pbs_mom tracks the job by session SID), and exits 0 as soon
as the job is restored: the job runs on without cr. Failures exit as cr restart.`;
  static override examples = ['<%= config.bin %> pbs restart -- 4242 17.server /var/spool/pbs/checkpoint'];
  static override strict = false;
  static override enableJsonFlag = false;
  static override flags = {};

  async run() {
    const {argv} = await this.parse(PbsRestart);
    const cr = await import('../../src/index.js');
    const r = await cr.pbsRestart(argv as string[], {json: false, quiet: true, verbose: 0}, (w) => this.note(`warning: ${w}`));
    this.note(`cr: restarted ${r.file} as pid ${r.pid} (session ${r.session ?? 'none'})`);
    return this.exit(0);
  }
}
