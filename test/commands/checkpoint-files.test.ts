// Files never lost: kill -9 mid-dump, --time, replace policies and progress, end to end, on the
// kernel selected by CR_TEST_KERNEL (helpers/kernel.ts). The mid-dump cases need a dump that lasts:
// the test kernel's is slowed by its knobs (a real one takes a fraction of a second).
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {walkContext} from '../helpers/context.js';
import {contextFrame} from '../helpers/context-frame.js';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {runCr, scratchDir, sleep, spawnCr, startCounter, waitFor} from '../helpers/procs.js';

const slow = {CR_TESTKERNEL_RATE: String(256 << 10), CR_TESTKERNEL_IMAGE_SIZE: String(4 << 20)};
const SLOW = 'a dump slowed by CR_TESTKERNEL_RATE';

describe(`cr checkpoint (${KERNEL} kernel): files are never lost`, function () {
  this.timeout(scaled(40_000));
  const scratch = scratchDir('cr-files-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  const tempsIn = (d: string) => fs.readdirSync(d).filter((n) => n.endsWith('.cr-tmp'));

  itTestKernel('kill -9 of cr mid-dump leaves no file under the final name', SLOW, async () => {
    const prog = await startCounter();
    const cr = spawnCr(['checkpoint', '-f', path.join(dir, 'new.ctx'), String(prog.pid)], slow);
    await waitFor(() => tempsIn(dir).length === 1 && fs.statSync(path.join(dir, tempsIn(dir)[0])).size > 64 << 10, 10_000, 'dump in progress');
    cr.kill('SIGKILL');
    await new Promise((r) => cr.once('close', r));
    expect(fs.existsSync(path.join(dir, 'new.ctx'))).to.equal(false);
  });

  itTestKernel('kill -9 of cr mid-dump leaves the previous checkpoint byte for byte; the next run cleans up', SLOW, async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'job.ctx');
    expect((await runCr(['checkpoint', '-f', file, String(prog.pid)])).code).to.equal(0);
    const before = fs.readFileSync(file);
    const cr = spawnCr(['checkpoint', '-f', file, String(prog.pid)], slow);
    await waitFor(() => tempsIn(dir).length === 1 && fs.statSync(path.join(dir, tempsIn(dir)[0])).size > 64 << 10, 10_000, 'dump in progress');
    cr.kill('SIGKILL');
    await new Promise((r) => cr.once('close', r));
    expect(fs.readFileSync(file).equals(before), 'previous checkpoint intact').to.equal(true);
    expect(tempsIn(dir)).to.have.length(1);
    const r = await runCr(['checkpoint', '-f', file, String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(tempsIn(dir)).to.deep.equal([]);
    expect(walkContext(file).sections).to.have.length(1);
  });

  itTestKernel('--time cancels a slow checkpoint: exit 110, clear error, no file, no temporary, target still running', SLOW, async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'slow.ctx');
    fs.writeFileSync(file, 'previous');
    const t0 = Date.now();
    const r = await runCr(['checkpoint', '-t', '1', '-f', file, String(prog.pid)], {env: slow});
    expect(r.code).to.equal(110);
    expect(r.stderr).to.contain('no completion within 1 s (--time)');
    expect(Date.now() - t0).to.be.lessThan(10_000);
    expect(fs.readFileSync(file, 'utf8')).to.equal('previous');
    expect(tempsIn(dir)).to.deep.equal([]);
    await sleep(200);
    expect(() => process.kill(prog.pid, 0)).to.not.throw();
  });

  itTestKernel('SIGTERM to cr cancels the request and removes the temporary', SLOW, async () => {
    const prog = await startCounter();
    const cr = spawnCr(['checkpoint', '-f', path.join(dir, 'x.ctx'), String(prog.pid)], slow);
    await waitFor(() => tempsIn(dir).length === 1, 10_000, 'dump started');
    cr.kill('SIGTERM');
    const code = await new Promise((r) => cr.once('close', r));
    expect(code).to.equal(143);
    expect(fs.readdirSync(dir)).to.deep.equal([]);
  });

  it('shows progress off a TTY: each step, on stderr, nothing on stdout', async () => {
    const prog = await startCounter();
    const r = await runCr(['checkpoint', '-f', path.join(dir, 'p.ctx'), String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('');
    for (const step of ['Preflight', 'Request', 'Dump', 'Log', 'Reap', 'Publish']) expect(r.stderr).to.contain(step);
  });

  itTestKernel('shows the bytes dumped so far, a line a second', SLOW, async () => {
    const prog = await startCounter();
    const r = await runCr(['checkpoint', '-f', path.join(dir, 'p.ctx'), String(prog.pid)], {env: {CR_TESTKERNEL_RATE: String(1 << 20), CR_TESTKERNEL_IMAGE_SIZE: String(5 << 19)}});
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/Dump: [\d.]+ (KiB|MiB) written/);
    const lines = r.stderr.split('\n').filter((l) => /^› [\d.]+ (KiB|MiB) written/.test(l));
    expect(lines.length, 'a progress line a second during a 2.5 s dump').to.be.within(1, 3);
  });

  it('--backup keeps numbered backups, --noclobber refuses (17), --clobber replaces', async () => {
    const prog = await startCounter();
    const file = path.join(dir, 'b.ctx');
    for (let i = 0; i < 3; i++) expect((await runCr(['checkpoint', '--backup', '-f', file, String(prog.pid)])).code).to.equal(0);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['b.ctx', 'b.ctx.~1~', 'b.ctx.~2~']);
    const r = await runCr(['checkpoint', '--noclobber', '-f', file, String(prog.pid)]);
    expect(r.code).to.equal(17);
    expect(r.stderr).to.contain('--noclobber');
    expect((await runCr(['checkpoint', '--clobber', '-f', file, String(prog.pid)])).code).to.equal(0);
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['b.ctx', 'b.ctx.~1~', 'b.ctx.~2~']);
    for (const n of fs.readdirSync(dir)) expect(contextFrame(path.join(dir, n)).scope, n).to.equal(3);
  });

  it('--kmsg-warning prints the kernel log even on success (BLCR\'s "Skipped zombie" line); --kmsg-error (default) does not', async () => {
    const {spawn} = await import('node:child_process');
    const {libcr} = await import('../helpers/kernel.js');
    const {procState, TK_DIR} = await import('../helpers/procs.js');
    // A target with a zombie child: the shell starts `true`, then becomes `sleep`, which never waits.
    const env = {...(process.env as Record<string, string>), LD_PRELOAD: libcr('run'), CR_TESTKERNEL_DIR: TK_DIR};
    const sh = spawn('/bin/sh', ['-c', 'true & exec sleep 1000'], {env, stdio: 'ignore'});
    try {
      await waitFor(() => fs.existsSync(`/proc/${sh.pid}/exe`) && fs.readlinkSync(`/proc/${sh.pid}/exe`).endsWith('/sleep'), 10_000, 'sleep');
      const kids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d) && fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1] === String(sh.pid));
      await waitFor(() => kids().some((k) => procState(Number(k)) === 'Z'), 10_000, 'a zombie child');
      let r = await runCr(['checkpoint', '--kmsg-warning', '-f', path.join(dir, 'w.ctx'), String(sh.pid)]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/^- Skipped zombie/m);
      r = await runCr(['checkpoint', '-f', path.join(dir, 'w2.ctx'), String(sh.pid)]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.not.match(/^- /m);
    } finally {
      sh.kill('SIGKILL');
    }
  });

});
