// cr's cr_checkpoint, cr_restart and cr_run end to end with the test kernel: what BLCR's tools
// print and how they exit (util/ sources, tests/*.sh), a program checkpointing itself through a
// shell, the omitted and unsupported cases, and cr_run keeping the pid and the program's argv.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {TAG, walkContext} from '../helpers/context.js';
import {TESTKERNEL_SO, TK_BUILD, toolBin} from '../helpers/paths.js';
import {runProcess, runTool, scratchDir, startCounter, TK_DIR, waitFor} from '../helpers/procs.js';

const STUB = path.join(TK_BUILD, 'libcr_run.so.0');
const counterLines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
const exeOf = (s: ReturnType<typeof walkContext>['sections'][number]) => s.records.get(TAG.EXE)![0].toString();

describe('cr_checkpoint (test kernel)', function () {
  this.timeout(40_000);
  const scratch = scratchDir('cr-tool-ck-');

  it('--help prints BLCR\'s usage on stdout (exit 0); a usage error prints it on stderr (255), -q prints nothing', async () => {
    const help = await runTool('cr_checkpoint', ['--help'], {kernel: false});
    expect(help.code).to.equal(0);
    expect(help.stdout.startsWith('Usage: cr_checkpoint [options] ID\n\nOptions:\nGeneral options:\n  -v, --verbose          print progress messages to stderr.\n')).to.equal(true);
    expect(help.stdout).to.contain('  -t, --time SEC         allow only SEC seconds for target to complete\n');
    const bad = await runTool('cr_checkpoint', [], {kernel: false});
    expect(bad.code).to.equal(255);
    expect(bad.stdout).to.equal('');
    expect(bad.stderr).to.equal(help.stdout);
    const quiet = await runTool('cr_checkpoint', ['-q', '--bogus', '1'], {kernel: false});
    expect([quiet.code, quiet.stdout, quiet.stderr]).to.deep.equal([255, '', '']);
    const version = await runTool('cr_checkpoint', ['--version'], {kernel: false});
    expect(version.code).to.equal(0);
    expect(version.stdout).to.match(/^cr_checkpoint version \S+\n$/);
  });

  it('checkpoints a cr_run target to ./context.PID and prints nothing (cr_targ.sh)', async () => {
    const prog = await startCounter();
    const r = await runTool('cr_checkpoint', ['--clobber', '--quiet', String(prog.pid)], {cwd: scratch.path});
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([0, '', '']);
    const ctx = walkContext(path.join(scratch.path, `context.${prog.pid}`));
    expect(ctx.sections.map((s) => s.tgid)).to.deep.equal([prog.pid]);
  });

  it('--noclobber: a new file is written; an existing one is left as it was, exit 17 (EEXIST) with BLCR\'s two lines', async () => {
    const prog = await startCounter();
    const file = path.join(scratch.path, 'Context1');
    expect((await runTool('cr_checkpoint', ['--file', file, '--noclobber', String(prog.pid)])).code).to.equal(0);
    const before = fs.readFileSync(file);
    const r = await runTool('cr_checkpoint', ['--file', file, '--noclobber', String(prog.pid)]);
    expect(r.code).to.equal(17);
    expect(r.stderr).to.equal(`Unable to open file '${file}': File exists\nFailed to open checkpoint file '${file}'\n`);
    expect(fs.readFileSync(file).equals(before)).to.equal(true);
  });

  it('a target without checkpoint support: the kernel log, then "support missing from application", exit 52; --kmsg-none drops the log', async () => {
    const prog = await startCounter([], {lib: 'none'});
    const r = await runTool('cr_checkpoint', ['-f', path.join(scratch.path, 'x'), String(prog.pid)]);
    expect(r.code).to.equal(52);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-1)).to.equal('Checkpoint failed: support missing from application');
    expect(lines.slice(0, -1)).to.not.be.empty;
    for (const l of lines.slice(0, -1)) expect(l).to.match(/^- /);
    const none = await runTool('cr_checkpoint', ['--kmsg-none', '-f', path.join(scratch.path, 'x'), String(prog.pid)]);
    expect([none.code, none.stderr]).to.deep.equal([52, 'Checkpoint failed: support missing from application\n']);
    expect(fs.readdirSync(scratch.path)).to.deep.equal([]);
  });

  it('a target under libcr_omit: exit 3 (ESRCH), "no processes checkpointed", the target runs on (cr_omit.sh)', async () => {
    const prog = await startCounter([], {lib: 'omit'});
    const r = await runTool('cr_checkpoint', ['--clobber', '--term', String(prog.pid)], {cwd: scratch.path});
    expect(r.code).to.equal(3);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal('Checkpoint failed: no processes checkpointed');
    expect(() => process.kill(prog.pid, 0)).to.not.throw();
  });

  it('without BLCR: "Checkpoint failed: support missing from kernel", exit 38, no file left', async () => {
    const r = await runTool('cr_checkpoint', ['1'], {kernel: false, cwd: scratch.path});
    expect([r.code, r.stdout, r.stderr]).to.deep.equal([38, '', 'Checkpoint failed: support missing from kernel\n']);
    expect(fs.readdirSync(scratch.path)).to.deep.equal([]);
  });

  it('-F with an fd that is not open: the kernel\'s EINVAL, exit 22', async () => {
    const prog = await startCounter();
    const r = await runTool('cr_checkpoint', ['-F', '77', String(prog.pid)]);
    expect(r.code).to.equal(22);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal('Checkpoint failed: Invalid argument');
  });

  it('-d and conflicting destinations die with EINVAL (22) before anything is touched', async () => {
    const d = await runTool('cr_checkpoint', ['-d', scratch.path, '1'], {kernel: false});
    expect([d.code, d.stderr]).to.deep.equal([22, '-d flag not yet implemented\n']);
    const c = await runTool('cr_checkpoint', ['-f', 'a', '-f', 'b', '1'], {kernel: false, cwd: scratch.path});
    expect([c.code, c.stderr]).to.deep.equal([22, 'conflicting destinations provided\n']);
    expect(fs.readdirSync(scratch.path)).to.deep.equal([]);
  });

  it('a program that checkpoints itself through a shell: cr leaves itself out, a parent stands in its place, the program goes on', async () => {
    // The program: a shell under the stub that runs cr_checkpoint on its own pid and waits for it,
    // as tests/save_aux.c does with system("exec cr_checkpoint ... PID").
    const file = path.join(scratch.path, 'self.ctx');
    const rc = path.join(scratch.path, 'rc');
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(toolBin('cr_checkpoint'))} --file ${JSON.stringify(file)} $$; echo $? > ${JSON.stringify(rc)}`;
    const env = {...(process.env as Record<string, string>), LD_PRELOAD: `${TESTKERNEL_SO} ${STUB}`, CR_TESTKERNEL_DIR: TK_DIR};
    const sh = spawn('/bin/sh', ['-c', script], {env, stdio: ['ignore', 'ignore', 'pipe']});
    let stderr = '';
    sh.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => sh.once('close', resolve));
    expect(code, stderr).to.equal(0);
    expect(fs.readFileSync(rc, 'utf8').trim(), stderr).to.equal('0');
    const sections = walkContext(file).sections;
    // The shell and the parent left where cr was (same pid as cr, its child), not cr itself.
    expect(sections.map(exeOf)).to.have.length(2);
    expect(sections[0].tgid).to.equal(sh.pid);
    expect(path.basename(exeOf(sections[1]))).to.equal('cr-chkpt-parent');
    expect(sections.some((s) => exeOf(s) === fs.realpathSync(process.execPath))).to.equal(false);
  });

  it('a scope of cr alone (target 0): cr leaves itself out and nothing is left, exit 3', async () => {
    const r = await runTool('cr_checkpoint', ['-p', '-f', path.join(scratch.path, 'x'), '0']);
    expect(r.code).to.equal(3);
    // BLCR logs nothing for a process that omits itself: no kernel log lines.
    expect(r.stderr).to.not.match(/^- /m);
    expect(r.stderr.trimEnd().split('\n').at(-1)).to.equal('Checkpoint failed: no processes checkpointed');
  });
});

describe('cr_restart (test kernel)', function () {
  this.timeout(40_000);
  const scratch = scratchDir('cr-tool-rs-');

  it('-v is --version; a usage error prints the usage on stderr and exits 255', async () => {
    const v = await runTool('cr_restart', ['-v'], {kernel: false});
    expect(v.code).to.equal(0);
    expect(v.stdout).to.match(/^cr_restart version \S+\n$/);
    const u = await runTool('cr_restart', [], {kernel: false});
    expect(u.code).to.equal(255);
    expect(u.stderr.startsWith('Usage: cr_restart [options] [checkpoint_file]\n\nOptions:\nGeneral options:\n  -?, --help          print this help message.\n')).to.equal(true);
  });

  it('the --run-on-fail-* hooks give the exit status (run_on.sh, group I)', async () => {
    const args = await runTool('cr_restart', ['--run-on-fail-args', 'exit 42', '--bad-argument']);
    expect([args.code, args.stderr]).to.deep.equal([42, '']);
    const perm = await runTool('cr_restart', ['--run-on-fail-perm', 'exit 42', '/dev/null']);
    expect(perm.code).to.equal(42);
  });

  it('without BLCR: "Failed cr_init(): -1", exit 255, after the perm hook; a missing FILE: exit 255 after the args hook', async () => {
    const r = await runTool('cr_restart', ['ctx'], {kernel: false});
    expect([r.code, r.stderr]).to.deep.equal([255, 'Failed cr_init(): -1\n']);
    const hooked = await runTool('cr_restart', ['--run-on-fail-perm=exit 9', 'ctx'], {kernel: false});
    expect(hooked.code).to.equal(9);
    const missing = await runTool('cr_restart', [path.join(scratch.path, 'nope')]);
    expect([missing.code, missing.stderr]).to.deep.equal([255, `Failed to open(${path.join(scratch.path, 'nope')}, O_RDONLY): No such file or directory\n`]);
    const args = await runTool('cr_restart', ['--run-on-fail-args', 'exit 5', path.join(scratch.path, 'nope')]);
    expect(args.code).to.equal(5);
  });

  it('restarts a job checkpointed by cr_checkpoint --kill; exits as the job does; --run-on-success decides when it fails', async () => {
    // The job ends with 7 when told to (a file appears), never on a clock.
    const stop = path.join(scratch.path, 'stop');
    const prog = await startCounter(['--interval-ms', '20', '--exit-when', stop, '--exit-code', '7']);
    await waitFor(() => counterLines(prog.out).length >= 3, 5000, 'counter ticking');
    const file = path.join(scratch.path, 'job.ctx');
    const ck = await runTool('cr_checkpoint', ['--kill', '-f', file, String(prog.pid)]);
    expect(ck.code, ck.stderr).to.equal(0);
    await new Promise((res) => (prog.child.exitCode !== null || prog.child.signalCode !== null ? res(null) : prog.child.once('exit', res)));
    const atKill = counterLines(prog.out).length;
    fs.writeFileSync(stop, '');
    const r = await runTool('cr_restart', [file]);
    expect(r.code, r.stderr).to.equal(7);
    expect(counterLines(prog.out).length).to.be.at.least(atKill);
    // The stop file stays: this restarted copy ends at its first tick, whatever the hook says.
    const hook = await runTool('cr_restart', ['--run-on-success', 'exit 42', file]);
    expect(hook.code).to.equal(42);
  });
});

describe('cr_run', function () {
  this.timeout(20_000);
  const withStub = {LD_LIBRARY_PATH: TK_BUILD, CR_TESTKERNEL_DIR: TK_DIR};

  it('execs the program with libcr_run.so.0 first in LD_PRELOAD, the pid kept, and every word after it its own', async () => {
    const child = spawn(process.execPath, [toolBin('cr_run'), 'sh', '-c', 'echo "$$|$LD_PRELOAD|$*"', 'sh', '--file', 'X', '--omit', '--'], {
      env: {...process.env, ...withStub, LD_PRELOAD: 'libcr_omit.so.0'},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await new Promise((r) => child.once('close', r));
    expect(code).to.equal(0);
    expect(out).to.equal(`${child.pid}|libcr_run.so.0|--file X --omit --\n`);
  });

  it('--omit preloads libcr_omit.so.0; --run after it undoes it', async () => {
    const show = (...opts: string[]) => runProcess(process.execPath, [toolBin('cr_run'), ...opts, 'sh', '-c', 'echo "$LD_PRELOAD"'], {env: {...(process.env as Record<string, string>), ...withStub}});
    expect((await show('--omit')).stdout).to.equal('libcr_omit.so.0\n');
    expect((await show('--omit', '--run', '--')).stdout).to.equal('libcr_run.so.0\n');
  });

  it('a program that cannot be found exits 127; no program exits 0; --help prints the options', async () => {
    const nf = await runTool('cr_run', ['no-such-program-here'], {kernel: false});
    expect([nf.code, nf.stderr]).to.deep.equal([127, 'cr_run: exec: no-such-program-here: not found\n']);
    expect((await runTool('cr_run', ['--omit'], {kernel: false})).code).to.equal(0);
    const help = await runTool('cr_run', ['--help'], {kernel: false});
    expect(help.code).to.equal(0);
    expect(help.stdout).to.contain('     --omit         exclude process(es) from checkpoints.\n');
  });
});
