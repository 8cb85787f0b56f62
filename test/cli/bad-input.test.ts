// Bad input is refused before anything is touched, with a usage error (exit 255) naming the flag or
// argument: descriptors cr does not own, arguments never read from stdin, usage errors as one JSON
// document, signals and durations in the same forms everywhere, replace policies where none apply.
import {expect} from 'chai';
import {Args, Parser} from '@oclif/core';
import fs from 'node:fs';
import path from 'node:path';
import {checkpointFlags, normalizeCheckpointArgv} from '../../src/cli/checkpoint-flag-defs.js';
import {checkpointOptionsFromFlags} from '../../src/cli/checkpoint-flags.js';
import {watchOptionsFromFlags} from '../../src/cli/watch-flags.js';
import {UsageError} from '../../src/errors/index.js';
import {KERNEL, scaled} from '../helpers/kernel.js';
import {CR_BIN} from '../helpers/paths.js';
import {kernelEnv, runCr, runProcess, scratchDir, startCounter} from '../helpers/procs.js';

async function ckOpts(...argv: string[]) {
  const {flags, raw, args} = await Parser.parse(normalizeCheckpointArgv(argv), {flags: checkpointFlags, args: {id: Args.string()}, strict: true});
  return checkpointOptionsFromFlags(flags as any, raw as any, args.id as string | undefined, '/w');
}

const usage = async (p: Promise<unknown>): Promise<UsageError> => {
  const e = await p.then(() => expect.fail('accepted'), (x: unknown) => x);
  expect(e).to.be.instanceOf(UsageError);
  return e as UsageError;
};

/** Run `sh -c SCRIPT` with `cr` a function running this checkout's cr (under the test kernel), and
 *  `exec "$NODE" "$CRJS"` the same as the shell itself. */
function sh(script: string, opts: {cwd?: string} = {}) {
  const env: Record<string, string> = {...(process.env as Record<string, string>), ...kernelEnv(), NODE: process.execPath, CRJS: CR_BIN};
  delete env.CI;
  return runProcess('/bin/sh', ['-c', `cr() { "$NODE" "$CRJS" "$@"; }\n${script}`], {env, cwd: opts.cwd, timeoutMs: scaled(30_000)});
}

describe(`bad input is refused before anything is touched (${KERNEL} kernel)`, function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-badin-');

  describe('--fd', () => {
    it("refuses every descriptor the caller did not open (cr's own: epoll, eventfd, Node's pipes; or none), naming --fd, and writes nothing", async () => {
      const prog = await startCounter();
      // cr runs with stdio only (0, 1, 2): 3 and up are either not open or Node's own.
      for (let fd = 3; fd <= 24; fd++) {
        const r = await runCr(['checkpoint', '-F', String(fd), String(prog.pid)], {cwd: scratch.path, timeoutMs: scaled(20_000)});
        // Node's own descriptors (epoll, eventfd, pipes it holds both ends of): a usage error; one
        // not open, or Node's /dev/null read end: EBADF (exit 9), as before the kernel is asked.
        const m = new RegExp(`--fd ${fd}: (Bad file descriptor|a descriptor of cr's own|open for reading only)`).exec(r.stderr);
        expect(m, `-F ${fd}: ${r.stderr}`).to.not.equal(null);
        expect(r.code, `-F ${fd}: ${r.stderr}`).to.equal(m![1] === "a descriptor of cr's own" ? 255 : 9);
      }
      expect(prog.child.exitCode).to.equal(null);
      expect(fs.readdirSync(scratch.path)).to.deep.equal([]);
    });

    it("takes a descriptor the caller opened for writing (3>FILE), and refuses one opened for reading only", async () => {
      const prog = await startCounter();
      const file = path.join(scratch.path, 'img');
      const ok = await sh(`exec "$NODE" "$CRJS" checkpoint -F 3 ${prog.pid} 3>"${file}"`);
      expect(ok.code, ok.stderr).to.equal(0);
      expect(fs.statSync(file).size).to.be.greaterThan(0);
      const ro = await sh(`exec "$NODE" "$CRJS" checkpoint -F 3 ${prog.pid} 3<"${file}"`);
      expect(ro.code).to.equal(9);
      expect(ro.stderr).to.contain('--fd 3: open for reading only');
    });

    it('--json -F 1 is refused with both flags named: the image would be mixed into the document', async () => {
      const prog = await startCounter();
      const r = await runCr(['checkpoint', '--json', '-F', '1', String(prog.pid)], {cwd: scratch.path});
      expect(r.code).to.equal(255);
      const doc = JSON.parse(r.stdout);
      expect(doc.error).to.include({code: 'USAGE', exitCode: 255});
      expect(doc.error.message).to.contain('--fd 1').and.to.contain('--json');
    });

    it('-F 2 is refused unless -q (the image would be mixed with the messages on stderr)', async () => {
      const prog = await startCounter();
      const r = await runCr(['checkpoint', '-F', '2', String(prog.pid)], {cwd: scratch.path});
      expect(r.code).to.equal(255);
      expect(r.stderr).to.contain('--fd 2 without -q');
    });

    it('cr restart --fd refuses a descriptor that is not open or is open for writing only', async () => {
      const r = await runCr(['restart', '--fd', '99'], {cwd: scratch.path});
      expect(r.code).to.equal(9);
      expect(r.stderr).to.contain('--fd 99: Bad file descriptor');
      const own = await runCr(['restart', '--fd', '3'], {cwd: scratch.path}); // Node's epoll
      expect(own.code).to.equal(255);
      expect(own.stderr).to.contain("--fd 3: a descriptor of cr's own");
      const w = await sh(`exec "$NODE" "$CRJS" restart --fd 3 3>"${path.join(scratch.path, 'x')}"`);
      expect(w.code).to.equal(9);
      expect(w.stderr).to.contain('--fd 3: open for writing only');
    });
  });

  describe('arguments are never read from stdin', () => {
    it('a pid piped into `cr checkpoint` is not checkpointed: a usage error names ID', async () => {
      const prog = await startCounter();
      const r = await sh(`echo ${prog.pid} | cr checkpoint`, {cwd: scratch.path});
      expect(r.code).to.equal(255);
      expect(r.stderr).to.contain('Missing ID argument');
      expect(fs.readdirSync(scratch.path)).to.deep.equal([]);
    });

    it('a `while read` loop keeps its input: cr reads none of it (checkpoint, restart, ls, verify, watch)', async () => {
      for (const cmd of ['checkpoint', 'restart', 'ls', 'verify', 'watch --every 1s --dir d']) {
        const r = await sh(`printf 'one\\ntwo\\n' | { cr ${cmd} >/dev/null 2>&1; echo "status $?"; cat; }`, {cwd: scratch.path});
        expect(r.stdout, cmd).to.equal('status 255\none\ntwo\n');
      }
    });

    it('restart without FILE names FILE', async () => {
      const r = await sh('echo /etc/passwd | cr restart');
      expect(r.code).to.equal(255);
      expect(r.stderr).to.contain('Missing FILE argument');
    });
  });

  describe('usage errors under --json', () => {
    const cases: string[][] = [
      ['checkpoint', '--json', '--bogus', '1'],
      ['checkpoint', '--json'],
      ['checkpoint', '--json', '-S', 'NOSUCH', '1'],
      ['restart', '--json', 'a', 'b'],
      ['watch', '--json', '1'],
      ['ls', '--json'],
      ['verify', '--json', '--bogus', 'x'],
      ['dm', 'status', '--json'],
      ['dm', 'wait', '--json', 'x', '--event', '-1'],
      ['scheduler', 'print', '--json'],
      ['lsf', 'echkpnt', '--json', '--keep', '0'],
    ];
    for (const argv of cases) {
      it(`cr ${argv.join(' ')}: one small JSON error document, exit 255`, async () => {
        const r = await runCr(argv, {cwd: scratch.path});
        expect(r.code, r.stdout.slice(0, 300)).to.equal(255);
        expect(r.stdout.length, 'no oclif internals').to.be.lessThan(2000);
        const doc = JSON.parse(r.stdout);
        expect(doc).to.have.keys(['ok', 'error', 'warnings']);
        expect(doc.error).to.have.keys(['code', 'message', 'exitCode', 'details']);
        expect(doc.error).to.include({code: 'USAGE', exitCode: 255});
      });
    }
  });

  describe('signals: a number, NAME or SIGNAME, any case, the same everywhere', () => {
    it('-S / --signal takes names as well as numbers', async () => {
      for (const [v, n] of [['10', 10], ['usr1', 10], ['SIGUSR1', 10], ['SigTerm', 15], ['TERM', 15], ['hup', 1], ['64', 64]] as const) {
        expect((await ckOpts('-S', v, '7')).signal, v).to.equal(n);
      }
      for (const bad of ['0', '65', '-3', 'NOSUCH', 'SIG', '']) {
        expect((await usage(ckOpts('-S', bad, '7'))).message, bad).to.contain('--signal');
      }
    });

    it('--on-signal takes numbers as well as names', () => {
      const on = (s: string) => watchOptionsFromFlags({'on-signal': [s], dir: 'd'}, '7', '/w').onSignals;
      for (const v of ['10', 'usr1', 'SIGUSR1', 'Usr1']) expect(on(v), v).to.deep.equal(['SIGUSR1']);
      expect(on('15')).to.deep.equal(['SIGTERM']);
      for (const bad of ['9', 'KILL', 'sigstop', 'NOSUCH', '0', '99']) expect(() => on(bad), bad).to.throw(UsageError, /--on-signal/);
    });

    it('the same signal strings are accepted by -S and by --on-signal', async () => {
      for (const v of ['12', 'usr2', 'SIGUSR2', 'sIgUsR2']) {
        const n = (await ckOpts('-S', v, '7')).signal;
        expect(watchOptionsFromFlags({'on-signal': [v], dir: 'd'}, '7', '/w').onSignals, v).to.deep.equal(['SIGUSR2']);
        expect(n).to.equal(12);
      }
    });
  });

  describe('durations: seconds, or 500ms, 30s, 5m, 1h30m, the same everywhere', () => {
    const every = (v: string) => watchOptionsFromFlags({every: v, dir: 'd'}, '7', '/w').everyMs;

    it('--time takes durations as well as seconds; 0 is no limit; a fraction of a second is refused', async () => {
      for (const [v, s] of [['90', 90], ['90s', 90], ['1m30s', 90], ['1h', 3600], ['1h30m', 5400], ['0', 0], ['2M', 120]] as const) {
        expect((await ckOpts('-t', v, '7')).timeSec, v).to.equal(s);
      }
      for (const bad of ['-1', '1.5', '500ms', 'x', '5 m', '1h30x', '']) expect((await usage(ckOpts('-t', bad, '7'))).message, bad).to.contain('--time');
    });

    it('--every takes seconds as well as durations; 0 and more than a timer can wait are refused', () => {
      for (const [v, ms] of [['90', 90_000], ['90s', 90_000], ['1m30s', 90_000], ['500ms', 500], ['1.5', 1500], ['1h30m', 5_400_000]] as const) expect(every(v), v).to.equal(ms);
      for (const bad of ['0', '-1', 'x', '30d', '']) expect(() => every(bad), bad).to.throw(UsageError, /--every/);
    });

    it('--quiesce-timeout takes the same forms', async () => {
      expect((await ckOpts('--quiesce', 'vg-a', '--quiesce-timeout', '2m', '7')).quiesce?.timeoutSec).to.equal(120);
      expect((await ckOpts('--quiesce', 'vg-a', '--quiesce-timeout', '45', '7')).quiesce?.timeoutSec).to.equal(45);
      expect((await usage(ckOpts('--quiesce', 'vg-a', '--quiesce-timeout', '0', '7'))).message).to.contain('--quiesce-timeout');
    });
  });

  describe('flags that would be ignored are refused', () => {
    it('--backup, --noclobber and --clobber with --dir or --fd name the flags', async () => {
      for (const p of [['--backup'], ['--backup=old'], ['--noclobber'], ['--clobber']]) {
        const e = await usage(ckOpts(...p, '-d', 'ck', '7'));
        expect(e.message).to.contain(p[0].split('=')[0]).and.to.contain('--dir');
      }
      const both = await usage(ckOpts('--noclobber', '--backup', '-d', 'ck', '7'));
      expect(both.message).to.contain('--noclobber').and.to.contain('--backup');
      expect((await ckOpts('--backup', '-f', 'x', '7')).destination).to.include({policy: 'backup'});
    });

    it('the CLI refuses --noclobber in directory mode before the dump', async () => {
      const prog = await startCounter();
      fs.mkdirSync(path.join(scratch.path, 'ck'));
      const r = await runCr(['checkpoint', '--noclobber', '-d', 'ck', String(prog.pid)], {cwd: scratch.path});
      expect(r.code).to.equal(255);
      expect(r.stderr).to.contain('--noclobber').and.to.contain('--dir');
      expect(fs.readdirSync(path.join(scratch.path, 'ck'))).to.deep.equal([]);
    });
  });

  describe('the rest of the class: empty strings, bad numbers, pid 1', () => {
    it('refuses empty strings for --latest, FILE and --dir', async () => {
      for (const argv of [['restart', '--latest', ''], ['restart', ''], ['watch', '--every', '1s', '--dir', '', '7']]) {
        const r = await runCr(argv, {cwd: scratch.path});
        expect(r.code, argv.join(' ')).to.equal(255);
        expect(r.stderr, argv.join(' ')).to.match(/empty string/);
      }
    });

    it('refuses --keep 0 and negative --keep for checkpoint and watch', async () => {
      expect((await usage(ckOpts('-d', 'ck', '--keep', '0', '7'))).message).to.contain('--keep');
      expect(() => watchOptionsFromFlags({every: '1s', dir: 'd', keep: 0}, '7', '/w')).to.throw(UsageError, /--keep/);
      expect(() => watchOptionsFromFlags({every: '1s', dir: 'd', keep: -2}, '7', '/w')).to.throw(UsageError, /--keep/);
    });

    it('refuses the tree of pid 1 (every process of the machine)', async () => {
      expect((await usage(ckOpts('1'))).message).to.contain('pid 1');
      expect((await ckOpts('-p', '1')).target).to.equal(1);
    });
  });
});

describe("cr_checkpoint -F: cr's own descriptors are refused as BLCR's tool refuses a closed one (EINVAL)", function () {
  this.timeout(scaled(60_000));
  const scratch = scratchDir('cr-badin-tool-');

  it('exits 22 without a request for every descriptor of Node\'s own; the target runs on', async () => {
    const prog = await startCounter();
    const tool = path.join(path.dirname(CR_BIN), 'cr_checkpoint.js');
    const env: Record<string, string> = {...(process.env as Record<string, string>), ...kernelEnv()};
    delete env.CI;
    for (let fd = 3; fd <= 24; fd++) {
      const r = await runProcess(process.execPath, [tool, '-F', String(fd), String(prog.pid)], {env, cwd: scratch.path, timeoutMs: scaled(20_000)});
      expect(r.signal, `-F ${fd}`).to.equal(null);
      expect(r.code, `-F ${fd}: ${r.stderr}`).to.be.oneOf([22, 9]);
    }
    expect(prog.child.exitCode).to.equal(null);
  });
});
