// A watchdog for the devices a checkpoint suspends: a detached `cr dm guard` process that resumes
// them, and continues the job it held stopped, if cr dies (kill -9 included) first. cr tells it, over
// a pipe, the pids it holds, each device it is about to suspend and each one it resumed; end of
// input without `done` means cr died.
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

export interface SuspendGuard {
  /** The targets cr holds stopped; continued by the guard if cr dies. */
  holding(pids: number[]): void;
  suspending(name: string): void;
  resumed(name: string): void;
  /** cr is finished: with `clean` (every device resumed, the targets released) the guard exits
   *  without touching anything; otherwise it resumes what is left and continues the targets. */
  finish(clean: boolean): void;
}

/** bin/cr.js of this installation. */
function crEntry(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'bin', 'cr.js');
    if (fs.existsSync(candidate)) return candidate;
  }
  return process.argv[1];
}

/** Start the guard. It runs in its own session, so signals aimed at cr's job do not reach it. */
export function startSuspendGuard(onProblem: (text: string) => void): SuspendGuard {
  const child = spawn(process.execPath, [crEntry(), 'dm', 'guard'], {stdio: ['pipe', 'ignore', 'inherit'], detached: true});
  child.unref();
  let broken = false;
  const fail = (why: string) => {
    if (broken) return;
    broken = true;
    onProblem(`warning: the suspend guard is not running (${why}); a crash of cr now could leave devices suspended`);
  };
  child.on('error', (e) => fail(e.message));
  child.stdin.on('error', (e) => fail(e.message));
  const send = (line: string) => {
    if (!broken) child.stdin.write(`${line}\n`);
  };
  return {
    holding: (pids) => send(`holding ${pids.join(' ')}`),
    suspending: (name) => send(`suspending ${name}`),
    resumed: (name) => send(`resumed ${name}`),
    finish: (clean) => {
      if (clean) send('done');
      if (!broken) child.stdin.end();
    },
  };
}
