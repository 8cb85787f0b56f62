// The command table oclif loads (package.json oclif.commands: explicit strategy), and the CLI entry.
import Checkpoint from './checkpoint.js';
import DmGuard from './dm/guard.js';
import DmLs from './dm/ls.js';
import DmResume from './dm/resume.js';
import DmStatus from './dm/status.js';
import DmSuspend from './dm/suspend.js';
import DmWait from './dm/wait.js';
import DmlogServe from './dmlog/serve.js';
import DmlogStatus from './dmlog/status.js';
import Info from './info.js';
import Ls from './ls.js';
import Restart from './restart.js';
import Run from './run.js';
import Verify from './verify.js';
import Watch from './watch.js';

export const COMMANDS = {
  checkpoint: Checkpoint,
  'dm:guard': DmGuard,
  'dm:ls': DmLs,
  'dm:resume': DmResume,
  'dm:status': DmStatus,
  'dm:suspend': DmSuspend,
  'dm:wait': DmWait,
  'dmlog:serve': DmlogServe,
  'dmlog:status': DmlogStatus,
  info: Info,
  ls: Ls,
  restart: Restart,
  run: Run,
  verify: Verify,
  watch: Watch,
};

export {main} from '../src/cli/run.js';
