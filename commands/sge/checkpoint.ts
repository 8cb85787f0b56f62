import {Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';
import {sgeArgs, sgeJob} from '../../src/cli/sge-args.js';

export default class SgeCheckpoint extends CrCommand {
  static override summary = 'Grid Engine ckpt_command / migr_command: checkpoint the job into $ckpt_dir.';
  static override description = `Checkpoints the tree of job_pid (under cr restart, the job it restarted) in directory mode into the job's own
directory ckpt_dir/<job_id> (array jobs: ckpt_dir/<job_id>.$SGE_TASK_ID), as job sge.<job_id>[.<task>]. With --kill (migr_command) the job is killed afterwards, for Grid Engine to move it. Exit 0 on
success, else cr checkpoint's status.`;
  static override examples = ['<%= config.bin %> sge checkpoint --keep 2 $job_id $job_pid $ckpt_dir'];
  static override args = sgeArgs;
  static override flags = {
    kill: Flags.boolean({summary: 'Kill the job after the checkpoint (migr_command).'}),
    keep: Flags.integer({summary: 'Keep only the newest N checkpoints of the job.', min: 1, helpValue: 'N'}),
  };

  async run() {
    const {args, flags} = await this.parse(SgeCheckpoint);
    const cr = await import('../../src/index.js');
    const r = await cr.sgeCheckpoint(sgeJob(args), {kill: flags.kill, keep: flags.keep}, {json: this.jsonEnabled(), quiet: true, verbose: 0});
    this.note(`cr: checkpointed to ${r.file}`);
    return r;
  }
}
