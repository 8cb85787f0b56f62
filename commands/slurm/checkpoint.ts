import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class SlurmCheckpoint extends CrCommand {
  static override summary = "Checkpoint a Slurm job into a checkpoint directory and requeue it (a batch script's USR1 trap).";
  static override description = `Checkpoints the process tree of PID in directory mode (under cr restart, the job it restarted); the job is
stopped by the checkpoint and, once the image is synced, killed (nothing of it runs after the checkpoint); only then
is \`scontrol requeue $SLURM_JOB_ID\` run, so Slurm's signals of the requeue find nothing to wake. The requeued run
restarts with cr slurm restart. If the checkpoint fails nothing happens to the job (it runs on; exit status as cr
checkpoint). If the requeue fails the job has ended: exit status 75, and the batch script restarts it from the
checkpoint in place. With --no-requeue the job is continued after the checkpoint.`;
  static override examples = ['<%= config.bin %> slurm checkpoint --dir "$CKPT_DIR" --keep 2 "$job"'];
  static override args = {pid: Args.string({description: 'pid of the job (or of the cr process running it)', required: true})};
  static override flags = {
    dir: Flags.string({char: 'd', summary: 'Checkpoint directory.', required: true, helpValue: 'DIR'}),
    keep: Flags.integer({summary: 'Keep only the newest N checkpoints of the job.', min: 1, helpValue: 'N'}),
    job: Flags.string({summary: 'Job name (default: slurm.$SLURM_JOB_ID).', helpValue: 'NAME'}),
    'no-requeue': Flags.boolean({summary: 'Only checkpoint; the job continues.'}),
    quiet: Flags.boolean({char: 'q', summary: 'No output on stderr.'}),
  };

  async run() {
    const {args, flags} = await this.parse(SlurmCheckpoint);
    this.quiet = flags.quiet;
    const cr = await import('../../src/index.js');
    const path = await import('node:path');
    const r = await cr.slurmCheckpoint(
      {pid: cr.parseId(args.pid), dir: path.resolve(flags.dir), keep: flags.keep, job: flags.job, requeue: !flags['no-requeue']},
      {json: this.jsonEnabled(), quiet: true, verbose: 0},
      (file, job) => this.note(`cr: checkpointed to ${file}${job ? `; requeueing job ${job}` : ''}`),
    );
    return r;
  }
}
