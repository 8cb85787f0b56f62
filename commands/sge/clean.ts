import {CrCommand} from '../../src/cli/base-command.js';
import {sgeArgs, sgeJob} from '../../src/cli/sge-args.js';

export default class SgeClean extends CrCommand {
  static override summary = "Grid Engine clean_command: remove the job's checkpoints once it has ended.";
  static override description = 'Removes the checkpoints of job sge.<job_id>[.$SGE_TASK_ID] in its directory under ckpt_dir, their manifests, the job lock file and the directory once empty. Exit 0.';
  static override examples = ['<%= config.bin %> sge clean $job_id $job_pid $ckpt_dir'];
  static override args = sgeArgs;

  async run() {
    const {args} = await this.parse(SgeClean);
    const cr = await import('../../src/index.js');
    const removed = cr.sgeClean(sgeJob(args));
    return {removed};
  }
}
