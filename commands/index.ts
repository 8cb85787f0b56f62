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
import LsfEchkpnt from './lsf/echkpnt.js';
import LsfErestart from './lsf/erestart.js';
import Ls from './ls.js';
import PbsCheckpoint from './pbs/checkpoint.js';
import PbsRestart from './pbs/restart.js';
import Restart from './restart.js';
import Run from './run.js';
import SchedulerPrint from './scheduler/print.js';
import SgeCheckpoint from './sge/checkpoint.js';
import SgeClean from './sge/clean.js';
import SgeRestart from './sge/restart.js';
import SlurmCheckpoint from './slurm/checkpoint.js';
import SlurmRestart from './slurm/restart.js';
import TorqueCheckpoint from './torque/checkpoint.js';
import TorqueRestart from './torque/restart.js';
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
  'lsf:echkpnt': LsfEchkpnt,
  'lsf:erestart': LsfErestart,
  ls: Ls,
  'pbs:checkpoint': PbsCheckpoint,
  'pbs:restart': PbsRestart,
  restart: Restart,
  run: Run,
  'scheduler:print': SchedulerPrint,
  'sge:checkpoint': SgeCheckpoint,
  'sge:clean': SgeClean,
  'sge:restart': SgeRestart,
  'slurm:checkpoint': SlurmCheckpoint,
  'slurm:restart': SlurmRestart,
  'torque:checkpoint': TorqueCheckpoint,
  'torque:restart': TorqueRestart,
  verify: Verify,
  watch: Watch,
};

export {main} from '../src/cli/run.js';
