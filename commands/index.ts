// The command table oclif loads (package.json oclif.commands: explicit strategy), and the CLI entry.
import Checkpoint from './checkpoint.js';
import Info from './info.js';
import Restart from './restart.js';
import Run from './run.js';

export const COMMANDS = {
  checkpoint: Checkpoint,
  info: Info,
  restart: Restart,
  run: Run,
};

export {main} from '../src/cli/run.js';
