import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class SlurmCheckpoint extends CrCommand {
  static override summary = "Checkpoint a Slurm job into a checkpoint directory and requeue it (a batch script's USR1 trap).";
  static override description = `Checkpoints the process tree of PID in directory mode (under cr restart, the job it restarted), leaves it
stopped, runs \`scontrol requeue $SLURM_JOB_ID\`, then kills it; the requeued run restarts with cr restart --latest DIR.
If the checkpoint fails nothing happens to the job; if the requeue fails the job is continued. Exit status: the
checkpoint's (as cr checkpoint), or scontrol's when the requeue fails.`;
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
