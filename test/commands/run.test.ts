// `cr run`: exec with libcr_run preloaded, pid kept; --omit; a clear error when the library is missing.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {findLibrary, preloadWith} from '../../src/engines/blcr/run.js';
import {KERNEL, scaled} from '../helpers/kernel.js';
import {CR_BIN, TK_BUILD} from '../helpers/paths.js';
import {COUNTER, runCr, targetEnv, tryKill, waitFor} from '../helpers/procs.js';

/** Where the kernel's libcr_run.so.0 is found (LD_LIBRARY_PATH), nothing preloaded yet. */
const withStub = targetEnv('none');

function crRunCounter(extra: string[], dir: string) {
  const ready = path.join(dir, 'ready');
  const child = spawn(process.execPath, [CR_BIN, 'run', ...extra, '--', COUNTER, '--ready', ready, '--out', path.join(dir, 'out')], {
    env: {...process.env, ...withStub},
    stdio: 'ignore',
  });
  return {child, ready};
}

describe(`cr run (${KERNEL} kernel)`, function () {
  this.timeout(scaled(20_000));
  let dir: string;
  const kids: number[] = [];
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-run-'));
  });
  afterEach(() => {
    kids.splice(0).forEach((p) => tryKill(p));
    fs.rmSync(dir, {recursive: true, force: true});
  });

  it('puts the library first in LD_PRELOAD and drops older libcr entries', () => {
    expect(preloadWith('libcr_run.so.0', undefined)).to.equal('libcr_run.so.0');
    expect(preloadWith('libcr_run.so.0', '/x/libfoo.so libcr_omit.so.0:/opt/blcr/lib/libcr_run.so.0 libbar.so')).to.equal('libcr_run.so.0 /x/libfoo.so libbar.so');
    expect(preloadWith('libcr_omit.so.0', 'libcr_run.so')).to.equal('libcr_omit.so.0');
  });

  it('finds the library where the dynamic linker would: LD_LIBRARY_PATH first', () => {
    expect(findLibrary('libcr_run.so.0', {LD_LIBRARY_PATH: `/nonexistent:${TK_BUILD}`}).path).to.equal(path.join(TK_BUILD, 'libcr_run.so.0'));
    const miss = findLibrary('libcr_run.so.0', {LD_LIBRARY_PATH: '/nonexistent'});
    expect(miss.path).to.equal(undefined);
    expect(miss.searched).to.include('/etc/ld.so.cache');
  });

  it('refuses clearly when libcr_run.so.0 is missing (exit 2), and runs nothing', async () => {
    const marker = path.join(dir, 'ran');
    const r = await runCr(['run', '--', 'touch', marker], {kernel: false, env: {LD_LIBRARY_PATH: '/nonexistent'}});
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('libcr_run.so.0 not found');
    expect(r.stderr).to.contain('LD_LIBRARY_PATH');
    expect(fs.existsSync(marker)).to.equal(false);
  });

  it('execs the program: same pid, its output and exit status, the CR signal handler installed', async () => {
    const r = await runCr(['run', '--', 'sh', '-c', 'echo "pid=$$ preload=$LD_PRELOAD"; grep -E "^Sig(Cgt|Ign)" /proc/self/status; exit 7'], {kernel: false, env: withStub});
    expect(r.code).to.equal(7);
    expect(r.stdout).to.match(/^pid=\d+ preload=libcr_run\.so\.0$/m);
    const cgt = BigInt(`0x${/SigCgt:\s*(\w+)/.exec(r.stdout)![1]}`);
    expect(cgt & (1n << 63n), 'signal 64 caught (grep ran with the stub too)').to.not.equal(0n);
    expect(/SigIgn:\s*(\w+)/.exec(r.stdout)![1], 'Node\'s ignored SIGPIPE/SIGXFSZ are not passed on').to.match(/^0+$/);
  });

  it('stops at the program: every word after PROG is PROG\'s, options like cr run\'s own included', async () => {
    const r = await runCr(['run', '--omit', 'sh', '-c', 'echo "$LD_PRELOAD|$*"', 'sh', '--file', 'X', '--run', '--help', '--', '-q'], {kernel: false, env: withStub});
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('libcr_omit.so.0|--file X --run --help -- -q\n');
    const dashed = await runCr(['run', '--', 'sh', '-c', 'echo "$*"', 'sh', '--omit'], {kernel: false, env: withStub});
    expect(dashed.stdout).to.equal('--omit\n');
  });

  it('a program started by cr run keeps cr\'s pid and can be checkpointed', async () => {
    const {child, ready} = crRunCounter([], dir);
    kids.push(child.pid!);
    await waitFor(() => fs.existsSync(ready), 10_000, 'counter ready');
    expect(fs.readlinkSync(`/proc/${child.pid}/exe`)).to.equal(COUNTER);
    const r = await runCr(['checkpoint', '-f', path.join(dir, 'c.ctx'), String(child.pid)]);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('--omit leaves the program out of checkpoints (exit 3); --run after --omit undoes it', async () => {
    let p = crRunCounter(['--omit'], dir);
    kids.push(p.child.pid!);
    await waitFor(() => fs.existsSync(p.ready), 10_000, 'counter ready');
    let r = await runCr(['checkpoint', '-f', path.join(dir, 'o.ctx'), String(p.child.pid)]);
    expect(r.code).to.equal(3);
    fs.rmSync(p.ready);
    p = crRunCounter(['--omit', '--run'], dir);
    kids.push(p.child.pid!);
    await waitFor(() => fs.existsSync(p.ready), 10_000, 'counter ready');
    r = await runCr(['checkpoint', '-f', path.join(dir, 'r.ctx'), String(p.child.pid)]);
    expect(r.code, r.stderr).to.equal(0);
  });
});
