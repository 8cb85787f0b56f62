// Which listr2 renderer to use: silent for --json/-q, default on a terminal, simple elsewhere.
import {ListrLogger, ProcessOutput} from 'listr2';

export interface OutputMode {
  json: boolean;
  quiet: boolean;
  verbose: number;
}

/** listr2 options: progress goes to stderr so stdout stays for results. */
export function rendererOptions(mode: OutputMode) {
  const silent = mode.json || mode.quiet;
  const tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  const logger = () => new ListrLogger({useIcons: true, processOutput: new ProcessOutput(process.stderr, process.stderr)});
  return {
    renderer: silent ? ('silent' as const) : tty ? ('default' as const) : ('simple' as const),
    fallbackRenderer: 'simple' as const,
    rendererOptions: {logger: logger()},
    fallbackRendererOptions: {logger: logger()},
    registerSignalListeners: false,
    exitOnError: true,
    collectErrors: false as const,
  };
}
