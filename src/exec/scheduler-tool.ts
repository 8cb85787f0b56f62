// Running a scheduler's own command-line tool (scontrol, qalter): its status and output back.
import {CrError} from '../errors/index.js';

export interface ToolRun {
  code: number;
  output: string;
}

/** Run `tool args...`; resolves with its exit status and combined output, throws when it cannot start. */
export async function runTool(tool: string, args: string[]): Promise<ToolRun> {
  const {execa} = await import('execa');
  const r = await execa(tool, args, {reject: false, all: true, stdin: 'ignore'});
  if (r.exitCode === undefined && !r.signal) {
    throw new CrError(`cannot run ${tool}: ${r.shortMessage}`, {exitCode: 127, code: 'ENOENT'});
  }
  return {code: r.exitCode ?? 128, output: (r.all ?? '').trim()};
}
