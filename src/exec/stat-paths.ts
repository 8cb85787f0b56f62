// stat(2) of many paths, bounded in time, off cr's process: a stat on a hung mount (NFS, FUSE)
// blocks in the kernel, and it blocks whatever thread makes it. On the event loop that stops signal
// handling; on Node's thread pool it keeps cr from ever exiting (Node joins those threads at exit).
// So a child process stats the paths and streams the answers; at the deadline it is killed and
// left behind, and the paths it did not answer for are reported as such.
import {spawn} from 'node:child_process';

export interface PathStat {
  kind: 'file' | 'dir' | 'other';
  size: number;
  mtimeMs: number;
  ino: number;
}

/** What came back: a stat, an errno code, or nothing (`undefined`: no answer by the deadline). */
export type StatAnswer = PathStat | {error: string} | undefined;

/** How long preflight waits, in all, for the stat of the targets' files, once the child is up. */
export const STAT_DEADLINE_MS = 5000;
/** How long the child may take to start (a loaded machine): counted apart from the stats. */
export const STAT_STARTUP_MS = 20_000;

// The child stats every path at once on its thread pool, so that paths on a hung mount (each
// holding a thread) do not keep the others from answering.
const CHILD = `
const fs = require('node:fs');
let input = '';
process.stdin.on('data', (d) => (input += d)).on('end', () => {
  fs.writeSync(1, '{"ready":true}\\n');
  JSON.parse(input).forEach((p, i) => {
    fs.stat(p, (error, st) => {
      const line = error ? {i, error: error.code || String(error)} : {i, kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other', size: st.size, mtimeMs: st.mtimeMs, ino: st.ino};
      fs.writeSync(1, JSON.stringify(line) + '\\n');
    });
  });
});
`;

/** stat(2) each of `paths` in a child process; answers by index, within `deadlineMs` of the
 *  child being up (and STAT_STARTUP_MS for that). */
export function statPaths(paths: string[], deadlineMs = STAT_DEADLINE_MS): Promise<StatAnswer[]> {
  const answers: StatAnswer[] = new Array(paths.length).fill(undefined);
  if (paths.length === 0) return Promise.resolve(answers);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', CHILD], {stdio: ['pipe', 'pipe', 'ignore'], env: {...process.env, UV_THREADPOOL_SIZE: '16'}});
    let buf = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // A child stuck in the kernel may not die at once: cr does not wait for it.
      child.stdout.destroy();
      child.stdin.destroy();
      child.unref();
      if (child.exitCode === null) child.kill('SIGKILL');
      resolve(answers);
    };
    let timer = setTimeout(finish, STAT_STARTUP_MS);
    child.on('error', finish);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const {i, ready, ...rest} = JSON.parse(line);
          if (ready === true) {
            clearTimeout(timer);
            timer = setTimeout(finish, deadlineMs);
          } else if (Number.isInteger(i) && i >= 0 && i < answers.length) answers[i] = rest;
        } catch {
          // not an answer
        }
      }
      if (answers.every((a) => a !== undefined)) finish();
    });
    child.on('close', finish);
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify(paths));
  });
}
