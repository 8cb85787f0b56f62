import {CrCommand} from '../../src/cli/base-command.js';

export default class LsfErestart extends CrCommand {
  static override summary = 'LSF erestart method "cr" (erestart.cr runs it with LSF\'s arguments after --).';
  static override description = `Arguments, as LSF passes them: [-c] [-f] checkpoint_dir. Does not run the job: finds the job's newest checkpoint
in checkpoint_dir that verifies (the job: LSB_JOBID or the directory's name, else the only job in it) and writes checkpoint_dir/.restart_cmd as LSB_RESTART_CMD=<cr restart FILE>, which
LSF then runs. Exit 0 only when .restart_cmd was written.`;
  static override examples = ['<%= config.bin %> lsf erestart -- /scratch/ckpt/1234'];
  static override strict = false;
  static override flags = {};

  async run() {
    const {argv} = await this.parse(LsfErestart);
    const cr = await import('../../src/index.js');
    const r = await cr.erestart(argv as string[], cr.installedCr(), (w) => this.warning(w));
    this.note(`cr: job ${r.job}: ${r.restartCmd}: ${r.command}`);
    return r;
  }
}
