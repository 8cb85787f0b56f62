// Every error case of cr checkpoint through the CLI, BLCR's message and exit code, on the kernel
// selected by CR_TEST_KERNEL (helpers/kernel.ts).
import {expect} from 'chai';
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {TAG, walkContext} from '../helpers/context.js';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {CR_BIN, TK_BUILD} from '../helpers/paths.js';
import {kernelEnv, scratchDir, runCr, startCounter, TK_DIR, waitFor} from '../helpers/procs.js';

const isRoot = process.getuid?.() === 0;

describe(`cr checkpoint (${KERNEL} kernel): errors and exit codes`, function () {
  this.timeout(scaled(30_000));
  const scratch = scratchDir('cr-err-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  it('ESRCH: a pid that does not exist exits 3, "no processes checkpointed", and writes nothing', async () => {
    const r = await runCr(['checkpoint', '999999'], {cwd: dir});
    expect(r.code).to.equal(3);
    expect(r.stderr).to.contain('Checkpoint failed: no processes checkpointed');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('ESRCH: a target that omits itself (libcr_omit) exits 3 and survives', async () => {
    const prog = await startCounter([], {lib: 'omit'});
    const r = await runCr(['checkpoint', '--term', String(prog.pid)], {cwd: dir});
    expect(r.code).to.equal(3);
    expect(r.stderr).to.contain('no processes checkpointed');
    expect(prog.child.exitCode).to.equal(null);
    expect(() => process.kill(prog.pid, 0)).to.not.throw();
  });

  it('CR_ENOSUPPORT: a target without libcr exits 52, "support missing from application", with the kernel log', async () => {
    const prog = await startCounter([], {lib: 'none'});
    const r = await runCr(['checkpoint', String(prog.pid)], {cwd: dir});
    expect(r.code).to.equal(52);
    expect(r.stderr).to.contain('Checkpoint failed: support missing from application');
    // The real module's log for it (its one retry after 0.5 s), without the target's pid.
    expect(r.stderr).to.match(/^- Retry request on -CR_ENOSUPPORT$/m);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('--kmsg-none hides the kernel log on failure; -q prints nothing at all', async () => {
    const prog = await startCounter([], {lib: 'none'});
    let r = await runCr(['checkpoint', '--kmsg-none', String(prog.pid)], {cwd: dir});
    expect(r.code).to.equal(52);
    expect(r.stderr).to.not.match(/^- /m);
    r = await runCr(['checkpoint', '-q', String(prog.pid)], {cwd: dir});
    expect(r.code).to.equal(52);
    expect(r.stderr).to.equal('');
  });

  itTestKernel('a scope that includes cr itself: cr leaves itself out, the parent standing in its place is checkpointed', 'preloads the test kernel\'s stand-in libcr into the parent; the BLCR lane\'s tool-tests cover the real module', async () => {
    // cr alone in a new process group, asked for that group: its own group, as `cr checkpoint -g $$`
    // from a job script would be. The stub is preloaded so the parent can answer the test kernel.
    const file = path.join(dir, 'group.ctx');
    const r = await new Promise<{code: number | null; stderr: string; pid: number}>((resolve) => {
      const env = {...process.env, ...kernelEnv(), LD_PRELOAD: `${kernelEnv().LD_PRELOAD} ${path.join(TK_BUILD, 'libcr_run.so.0')}`};
      const child = spawn('sh', ['-c', `exec "${process.execPath}" "${CR_BIN}" checkpoint -f "${file}" -g $$`], {cwd: dir, detached: true, env, stdio: ['ignore', 'ignore', 'pipe']});
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({code, stderr, pid: child.pid!}));
    });
    expect(r.code, r.stderr).to.equal(0);
    const sections = walkContext(file).sections;
    expect(sections.map((s) => s.tgid)).to.deep.equal([r.pid]);
    expect(path.basename(sections[0].records.get(TAG.EXE)![0].toString())).to.equal('cr-chkpt-parent');
  });

  itTestKernel('EBUSY: a second checkpoint of a target already being checkpointed exits 16', 'a dump slowed by CR_TESTKERNEL_RATE', async () => {
    const prog = await startCounter();
    const slow = {CR_TESTKERNEL_RATE: '200000', CR_TESTKERNEL_IMAGE_SIZE: String(2 << 20)};
    const first = runCr(['checkpoint', '-f', 'one', String(prog.pid)], {cwd: dir, env: slow});
    const dumping = () => fs.readdirSync(dir).some((n) => n.endsWith('.cr-tmp') && fs.statSync(path.join(dir, n)).size > 0);
    await waitFor(dumping, 10_000, 'the first checkpoint dumping');
    const second = await runCr(['checkpoint', '-f', 'two', String(prog.pid)], {cwd: dir});
    expect(second.code).to.equal(16);
    expect(second.stderr).to.contain('Checkpoint failed: Device or resource busy');
    expect((await first).code).to.equal(0);
    expect(fs.existsSync(path.join(dir, 'two'))).to.equal(false);
  });

  it('EMLINK: --clobber onto a file with two hard links exits 31', async () => {
    const prog = await startCounter();
    fs.writeFileSync(path.join(dir, 'a'), 'x');
    fs.linkSync(path.join(dir, 'a'), path.join(dir, 'b'));
    const r = await runCr(['checkpoint', '--clobber', '-f', 'a', String(prog.pid)], {cwd: dir});
    expect(r.code).to.equal(31);
    expect(r.stderr).to.contain('Too many links');
  });

  itTestKernel('CR_ETEMPFAIL and CR_EPERMFAIL end with 50 and 51', 'failures injected by CR_TESTKERNEL_FAIL', async () => {
    const prog = await startCounter();
    let r = await runCr(['checkpoint', String(prog.pid)], {cwd: dir, env: {CR_TESTKERNEL_FAIL: 'tempfail'}});
    expect(r.code).to.equal(50);
    expect(r.stderr).to.contain('Checkpoint cancelled by application: try again later');
    r = await runCr(['checkpoint', String(prog.pid)], {cwd: dir, env: {CR_TESTKERNEL_FAIL: 'permfail'}});
    expect(r.code).to.equal(51);
    expect(r.stderr).to.contain('Checkpoint cancelled by application: unable to checkpoint');
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('CR_EPTRACED / CR_EPTRACER unless --ptraced-allow / --ptracer-skip', async () => {
    const target = await startCounter();
    const tracer = spawn(path.join(TK_BUILD, 'tracer'), [String(target.pid)], {stdio: ['ignore', 'pipe', 'inherit']});
    await new Promise((r) => tracer.stdout!.once('data', r));
    try {
      let r = await runCr(['checkpoint', '-p', String(target.pid)], {cwd: dir});
      expect(r.code).to.equal(56);
      expect(r.stderr).to.contain('One or more target processes is being ptraced');
      r = await runCr(['checkpoint', '-p', '--ptraced-skip', String(target.pid)], {cwd: dir});
      expect(r.code).to.equal(3);
      r = await runCr(['checkpoint', '-p', '--ptraced-allow', '-f', 'ok', String(target.pid)], {cwd: dir});
      expect(r.code, r.stderr).to.equal(0);
      r = await runCr(['checkpoint', '-p', String(tracer.pid)], {cwd: dir});
      expect(r.code).to.equal(57);
      expect(r.stderr).to.contain('One or more target processes has ptrace children');
    } finally {
      tracer.kill('SIGKILL');
    }
  });

  it('EPERM: another user cannot checkpoint a root process', async function () {
    if (!isRoot) this.skip(); // needs root to run cr as another user against a root-owned target
    const prog = await startCounter();
    fs.chmodSync(dir, 0o777);
    const r = await runCr(['checkpoint', '-f', path.join(dir, 'p'), String(prog.pid)], {uid: 65534, gid: 65534, env: {CR_TESTKERNEL_DIR: TK_DIR}});
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.contain('Checkpoint failed: Operation not permitted');
  });

  it('ENOSPC: a full file system fails with 28 and harms nothing earlier', async function () {
    if (!isRoot) this.skip(); // mounting a small tmpfs needs root
    const prog = await startCounter();
    // A file system with room for one image and a half: the first checkpoint fits, the second
    // (written beside the first, which it replaces only once complete) does not.
    let r = await runCr(['checkpoint', '-f', 'probe', String(prog.pid)], {cwd: dir});
    expect(r.code, r.stderr).to.equal(0);
    const size = fs.statSync(path.join(dir, 'probe')).size;
    const mnt = path.join(dir, 'small');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((size * 1.5) / 4096) * 4}k`, 'tmpfs', mnt]);
    try {
      r = await runCr(['checkpoint', '-f', 'ctx', String(prog.pid)], {cwd: mnt});
      expect(r.code, r.stderr).to.equal(0);
      const before = fs.readFileSync(path.join(mnt, 'ctx'));
      r = await runCr(['checkpoint', '-f', 'ctx', String(prog.pid)], {cwd: mnt});
      expect(r.code).to.equal(28);
      expect(r.stderr).to.contain('Checkpoint failed: No space left on device');
      expect(fs.readFileSync(path.join(mnt, 'ctx')).equals(before)).to.equal(true);
      expect(fs.readdirSync(mnt)).to.deep.equal(['ctx']);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('usage errors exit 255 and name the problem', async () => {
    for (const argv of [['checkpoint'], ['checkpoint', 'abc'], ['checkpoint', '--signal', '99', '1'], ['checkpoint', '--bogus', '1'], ['checkpoint', '-t', 'x', '1']]) {
      const r = await runCr(argv, {cwd: dir});
      expect(r.code, argv.join(' ')).to.equal(255);
      expect(r.stderr.length, argv.join(' ')).to.be.greaterThan(0);
    }
  });

  itTestKernel('without BLCR (no test kernel) exits 38, "support missing from kernel"', 'needs /proc/checkpoint/ctrl absent', async () => {
    let r = await runCr(['checkpoint', '1234'], {cwd: dir, kernel: false});
    expect(r.code).to.equal(38);
    expect(r.stderr).to.contain('Checkpoint failed: support missing from kernel');
    r = await runCr(['checkpoint', '--json', '1234'], {cwd: dir, kernel: false});
    expect(r.code).to.equal(38);
    expect(JSON.parse(r.stdout).error).to.include({code: 'ENOSYS', exitCode: 38, message: 'Checkpoint failed: support missing from kernel'});
  });
});
