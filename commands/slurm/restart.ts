import {Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class SlurmRestart extends CrCommand {
  static override summary = "The requeued run of a Slurm job: restart from the job's newest checkpoint, or start it afresh.";
  static override description = `Restarts the newest checkpoint of the job (default slurm.$SLURM_JOB_ID) in DIR that verifies and ends as the
restarted job ends. When its pid is taken on this node (EBUSY: the job was requeued onto another node, or the
pid was reused) it restarts again with --no-restore-pid, with a warning. When no checkpoint of the job verifies
(or DIR is missing), it says so and runs PROGRAM ARGS from the beginning under cr run instead of failing the job.`;
  static override examples = ['<%= config.bin %> slurm restart --dir "$CKPT_DIR" -- ./simulation --steps 1000'];
  static override strict = false;
  static override enableJsonFlag = false;
  static override flags = {
    dir: Flags.string({char: 'd', summary: 'Checkpoint directory.', required: true, helpValue: 'DIR'}),
    job: Flags.string({summary: 'Job name (default: slurm.$SLURM_JOB_ID).', helpValue: 'NAME'}),
  };

  async run() {
    const {argv, flags} = await this.parse(SlurmRestart);
    const program = argv as string[];
    const cr = await import('../../src/index.js');
    if (program.length === 0) throw new cr.UsageError('Expected PROGRAM [ARGS...] after --: what to run when no checkpoint verifies');
    const path = await import('node:path');
    const warn = (w: string) => this.note(`cr: warning: ${w}`);
    const plan = await cr.slurmRestartPlan({dir: path.resolve(flags.dir), job: flags.job}, warn);
    if (plan.kind === 'fresh') cr.runProgram(program[0], program.slice(1), false);
    else {
      this.note(`cr: restarting from ${plan.file}`);
      const r = await cr.slurmRestart(plan.file, {json: false, quiet: true, verbose: 0}, warn);
      return this.endAsJob(r.exit);
    }
  }
}
