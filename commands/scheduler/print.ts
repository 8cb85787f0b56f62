import {Args, Flags} from '@oclif/core';
import {CrCommand} from '../../src/cli/base-command.js';

export default class SchedulerPrint extends CrCommand {
  static override summary = 'Print the scripts and configuration that plug cr into a batch scheduler.';
  static override description = `SCHEDULER is slurm, torque (Torque and PBS Professional/OpenPBS), lsf or sge. The files are filled
in with this installation's cr (or --cr) and the directory they are to be installed in (--prefix; default: --out, else
/usr/local/libexec/cr/SCHEDULER). Without --out they are printed one after the other, each after a "==> NAME <==" line;
with --out DIR they are written there (scripts mode 0755).`;
  static override examples = ['<%= config.bin %> scheduler print slurm > cr-job.sbatch', '<%= config.bin %> scheduler print lsf --out /opt/lsf/etc/cr'];
  static override args = {scheduler: Args.string({description: 'slurm, torque (or pbs), lsf or sge', required: true})};
  static override flags = {
    cr: Flags.string({summary: 'The cr command the scripts run (default: this installation).', helpValue: 'PATH'}),
    prefix: Flags.string({summary: 'Where the files will be installed (absolute).', helpValue: 'DIR'}),
    out: Flags.string({char: 'o', summary: 'Write the files into DIR instead of printing them.', helpValue: 'DIR'}),
  };

  async run() {
    const {args, flags} = await this.parse(SchedulerPrint);
    const cr = await import('../../src/index.js');
    const path = await import('node:path');
    const name = cr.schedulerName(args.scheduler);
    const out = flags.out === undefined ? undefined : path.resolve(flags.out);
    const files = cr.renderScheduler(name, {cr: flags.cr ?? cr.installedCr(), prefix: flags.prefix ?? out ?? `/usr/local/libexec/cr/${name}`});
    if (out !== undefined) {
      const written = cr.writeRendered(out, files);
      if (!this.jsonEnabled()) for (const w of written) this.log(w);
    } else if (!this.jsonEnabled()) {
      this.log(files.map((f) => `==> ${f.name} <==\n${f.text}`).join('\n').trimEnd());
    }
    return {scheduler: name, files: files.map((f) => ({...f, mode: `0${f.mode.toString(8)}`}))};
  }
}
