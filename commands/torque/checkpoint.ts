import {CrCommand} from '../../src/cli/base-command.js';

export default class TorqueCheckpoint extends CrCommand {
  static override summary = "Torque pbs_mom's $checkpoint_script (called with the MOM's arguments).";
  static override description = `Arguments, as pbs_mom passes them: session_id job_id user group checkpoint_dir checkpoint_name signal_num
checkpoint_depth. As the job owner, checkpoints the tree of session_id (under cr restart, the job it restarted) into
checkpoint_dir/checkpoint_name, atomically, then sends signal_num (15 for qhold; 0: the job continues). A
checkpoint_depth N > 0 keeps the job's newest N images (ckpt.<job_id>.<time>) and removes older ones. Exit 0 on
success, else cr checkpoint's status and message (the MOM puts them in the job comment).`;
  static override examples = ['<%= config.bin %> torque checkpoint -- 4242 17.server alice users /var/spool/torque/checkpoint/17.server.CK ckpt.17.server.1700000000 0 3'];
  static override strict = false;
  static override flags = {};

  async run() {
    const {argv} = await this.parse(TorqueCheckpoint);
    const cr = await import('../../src/index.js');
    const r = await cr.torqueCheckpoint(argv as string[], {json: this.jsonEnabled(), quiet: true, verbose: 0});
    this.note(`cr: checkpointed to ${r.checkpoint.file}${r.removed.length ? `; removed ${r.removed.join(', ')}` : ''}`);
    return r;
  }
}
