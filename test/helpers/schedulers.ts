// Scheduler tests: a directory holding `cr` (this checkout's bin/cr.js), to put first on PATH as a site would.
import fs from 'node:fs';
import path from 'node:path';
import {CR_BIN, ROOT} from './paths.js';
import {type CrRun, kernelEnv, runProcess, targetEnv, TK_DIR} from './procs.js';

let dir: string | undefined;

/** A directory with `cr` -> bin/cr.js (made once per test run). */
export function crOnPath(): string {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(TK_DIR, 'bin-'));
    fs.symlinkSync(CR_BIN, path.join(dir, 'cr'));
    fs.chmodSync(dir, 0o755);
  }
  return dir;
}

/** Run a scheduler script (or `sh -c LINE` with `shell`) as the scheduler would, with `cr` on PATH,
 *  the kernel's libcr_run findable (for `cr run`) and, with the test kernel, the test kernel; `env` is
 *  added to (or, with a value of undefined, removed from) the environment. */
export function runScript(file: string, argv: string[], env: Record<string, string | undefined> = {}, opts: {shell?: boolean; cwd?: string} = {}): Promise<CrRun> {
  const full: Record<string, string> = {...(process.env as Record<string, string>), ...kernelEnv(), ...targetEnv('none'), PATH: `${crOnPath()}:${process.env.PATH}`};
  delete full.CI;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k];
  else full[k] = v;
  const [cmd, args] = opts.shell ? ['/bin/sh', ['-c', file]] : [file, argv];
  return runProcess(cmd, args, {env: full, cwd: opts.cwd});
}

/** A fake scheduler tool on PATH (e.g. qalter) that appends its arguments, one call per line, to a log. */
export function fakeTool(name: string): {dir: string; log: string; calls(): string[]} {
  const dir = fs.mkdtempSync(path.join(TK_DIR, `fake-${name}-`));
  const log = path.join(dir, 'calls.log');
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`, {mode: 0o755});
  return {dir, log, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [])};
}

/** examples/<scheduler>/<name>. */
export const example = (scheduler: string, name: string) => path.join(ROOT, 'examples', scheduler, name);
