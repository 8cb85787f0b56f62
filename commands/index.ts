// The command table oclif loads (package.json oclif.commands: explicit strategy), and the CLI entry.
import Checkpoint from './checkpoint.js';
import Info from './info.js';

export const COMMANDS = {
  checkpoint: Checkpoint,
  info: Info,
};

export {main} from '../src/cli/run.js';
