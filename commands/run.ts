import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../src/cli/base-command.js';
import {RUN_OWN_OPTIONS, splitRunArgv} from '../src/cli/run-argv.js';

export default class Run extends CrCommand {
  static override summary = 'Run a program so it can be checkpointed (cr_run compatible).';
  static override description = `Puts BLCR's libcr_run.so.0 (libcr_omit.so.0 with --omit) first in LD_PRELOAD, removing older
libcr_run/libcr_omit entries, and execs PROG: the pid is kept, so a batch script can record $$ before running it.
--run undoes an earlier --omit. As with cr_run, static and setuid programs cannot be made checkpointable this way.`;
  static override examples = ['<%= config.bin %> run -- ./simulation --steps 1000', '<%= config.bin %> run --omit -- helper-daemon'];
  static override strict = false;
  static override enableJsonFlag = false;
  static override args = {prog: Args.string({description: 'program to run (searched in PATH)', required: true})};
  static override flags = {
    omit: Flags.boolean({summary: 'Preload libcr_omit.so.0: the program is left out of checkpoints.'}),
    run: Flags.boolean({summary: 'Preload libcr_run.so.0 (default; undoes --omit).'}),
  };

  async run() {
    const {options, program} = splitRunArgv(this.argv, RUN_OWN_OPTIONS);
    // cr run's options stop at PROG (src/cli/run.ts puts a `--` there): oclif sees cr run's
    // options and PROG's name only, never PROG's own arguments.
    this.argv = [...options, ...(program.length > 0 ? ['--', program[0]] : [])];
    const {args} = await this.parse(Run);
    const omit = options.filter((o) => o === '--omit' || o === '--run').at(-1) === '--omit';
    const cr = await import('../src/index.js');
    cr.runProgram(args.prog, program.slice(1), omit);
  }
}
