// SIGINT, SIGTERM, SIGHUP and SIGQUIT during a dump, with cr on a terminal (a pty, as an
// interactive shell runs it) and off one: the same cleanup each time (no temporary left, no file
// published, the held job continued and not harmed) and exit 128 + the signal's number.
import {expect} from 'chai';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {ROOT, CR_BIN} from '../helpers/paths.js';
import {kernelEnv, procState, scratchDir, spawnCr, startCounter, waitFor} from '../helpers/procs.js';

const slow = {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(1 << 20)};
const SLOW = 'a dump slowed by CR_TESTKERNEL_RATE';
const PTY_RUN = path.join(ROOT, 'test', 'helpers', 'pty-run.py');
const hasPty = spawnSync('python3', ['-c', 'import pty'], {stdio: 'ignore'}).status === 0;

/** cr on a pty: resolves to its pid once started, and to its status when it ends. */
function crOnPty(args: string[], env: Record<string, string>): {child: ChildProcess; pid: Promise<number>; status: Promise<number>; output: () => string} {
  const fullEnv: Record<string, string> = {...(process.env as Record<string, string>), ...kernelEnv(), ...env};
  delete fullEnv.CI;
  const child = spawn('python3', [PTY_RUN, process.execPath, CR_BIN, ...args], {env: fullEnv, stdio: ['ignore', 'pipe', 'inherit']});
  let out = '';
  let onPid: (n: number) => void;
  const pid = new Promise<number>((r) => (onPid = r));
  child.stdout!.on('data', (d) => {
    out += d;
    const m = /^pid (\d+)\n/.exec(out);
    if (m) onPid(Number(m[1]));
  });
  const status = new Promise<number>((resolve, reject) =>
    child.once('close', () => {
      const m = /\nstatus (-?\d+)\n$/.exec(out);
      if (m) resolve(Number(m[1]));
      else reject(new Error(`pty-run ended without a status: ${out.slice(-500)}`));
    }),
  );
  return {child, pid, status, output: () => out};
}

describe(`cr checkpoint (${KERNEL} kernel): INT, TERM, HUP, QUIT clean up the same on and off a terminal`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-sigs-');
  const tempsIn = (d: string) => fs.readdirSync(d).filter((n) => n.endsWith('.cr-tmp'));

  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    const signo = os.constants.signals[sig];
    for (const tty of [false, true]) {
      const where = tty ? 'on a terminal' : 'off a terminal';
      const title = `${sig} ${where} mid-dump (--term held): exit ${128 + signo}, no temporary, no file, the job continued and not signalled`;
      const body = async () => {
        const dir = scratch.path;
        const file = path.join(dir, 'x.ctx');
        const prog = await startCounter();
        const args = ['checkpoint', '--term', '-f', file, String(prog.pid)];
        let status: Promise<number>;
        let crPid: number;
        let output: () => string;
        if (tty) {
          const p = crOnPty(args, slow);
          crPid = await p.pid;
          status = p.status;
          output = p.output;
        } else {
          const c = spawnCr(args, slow);
          let err = '';
          c.stderr!.on('data', (d) => (err += d));
          crPid = c.pid!;
          output = () => err;
          status = new Promise((r) => c.once('close', (code, s) => r(s ? -os.constants.signals[s] : code!)));
        }
        await waitFor(() => tempsIn(dir).length === 1 && fs.statSync(path.join(dir, tempsIn(dir)[0])).size > 64 << 10, 20_000, 'dump in progress');
        process.kill(crPid, sig);
        expect(await status, output().slice(-800)).to.equal(128 + signo);
        expect(output()).to.contain(`interrupted by ${sig}; nothing was published`);
        expect(fs.readdirSync(dir), 'no temporary, nothing published').to.deep.equal([]);
        await waitFor(() => procState(prog.pid) !== 'T', 5_000, 'the held target continued');
        expect(procState(prog.pid), 'the job runs on (not stopped, not killed by --term)').to.be.oneOf(['R', 'S']);
      };
      if (tty && !hasPty) it.skip(`${title} (needs python3 with pty to give cr a terminal: not found)`, body);
      else itTestKernel(title, SLOW, body);
    }
  }
});
