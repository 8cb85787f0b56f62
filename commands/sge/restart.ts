import {CrCommand} from '../../src/cli/base-command.js';
import {sgeArgs, sgeJob} from '../../src/cli/sge-args.js';

export default class SgeRestart extends CrCommand {
  static override summary = 'Grid Engine restart_command: restart the job from its newest checkpoint.';
  static override description = `Restarts the newest checkpoint of job sge.<job_id>[.$SGE_TASK_ID] in its directory under ckpt_dir that verifies, and ends as the restarted job
ends. Failures exit as cr restart.`;
  static override examples = ['<%= config.bin %> sge restart $job_id $job_pid $ckpt_dir'];
  static override args = sgeArgs;
  static override enableJsonFlag = false;

  async run() {
    const {args} = await this.parse(SgeRestart);
    const cr = await import('../../src/index.js');
    const r = await cr.runRestart(cr.sgeRestartOptions(sgeJob(args)), {json: false, quiet: true, verbose: 0}, (w) => this.note(`warning: ${w}`));
    return this.endAsJob(r.exit);
  }
}
