import {CrCommand} from '../../src/cli/base-command.js';

export default class TorqueRestart extends CrCommand {
  static override summary = "Torque pbs_mom's $restart_script (called with the MOM's arguments).";
  static override description = `Arguments, as pbs_mom passes them: session_id job_id user group checkpoint_dir checkpoint_name. As the job
owner, restarts checkpoint_dir/checkpoint_name and ends as the restarted job ends (its status is the job's). The
outcome is recorded on the job with qalter -W checkpoint_restart_status=... (restarted, or the failure class:
invalid arguments, temporary, environment, permanent), as Torque's BLCR script does. Failures exit as cr restart.`;
  static override examples = ['<%= config.bin %> torque restart -- 4242 17.server alice users /var/spool/torque/checkpoint/17.server.CK ckpt.17.server.1700000000'];
  static override strict = false;
  static override enableJsonFlag = false;
  static override flags = {};

  async run() {
    const {argv} = await this.parse(TorqueRestart);
    const cr = await import('../../src/index.js');
    const opts = cr.torqueRestartOptions(argv as string[]);
    const r = await cr.runRestart(opts, {json: false, quiet: true, verbose: 0}, (w) => this.warning(w));
    return this.endAsJob(r.exit);
  }
}
