// The argv of cr_checkpoint, cr_restart and cr_run, case by case as BLCR's util/ sources read it
// (getopt_long tables, the switch on each option, the checks after the loop) and as their man
// pages describe it. Each expectation is BLCR's behaviour for that command line.
import {expect} from 'chai';
import fs from 'node:fs';
import {parseCrCheckpoint} from '../../src/cli/blcr/cr-checkpoint-argv.js';
import {parseCrRestart} from '../../src/cli/blcr/cr-restart-argv.js';
import {crRunPreload, parseCrRun} from '../../src/cli/blcr/cr-run-argv.js';

const CWD = '/jobs/run';
const ck = (...argv: string[]) => parseCrCheckpoint(argv, CWD, {});
const rs = (...argv: string[]) => parseCrRestart(argv, CWD, {});
const opts = (...argv: string[]) => {
  const r = ck(...argv);
  if (r.kind !== 'run') throw new Error(`${argv.join(' ')}: ${JSON.stringify(r)}`);
  return r.opts;
};
const ropts = (...argv: string[]) => {
  const r = rs(...argv);
  if (r.kind !== 'run') throw new Error(`${argv.join(' ')}: ${JSON.stringify(r)}`);
  return r.opts;
};

describe('cr_checkpoint argv (util/cr_checkpoint/cr_checkpoint.c)', () => {
  it('defaults: tree scope, ./context.ID, atomic, sync, no signal, nothing saved, ptrace errors, kmsg on error', () => {
    expect(opts('42')).to.deep.equal({
      target: 42,
      scope: 'tree',
      destination: {kind: 'file', path: `${CWD}/context.42`, policy: 'atomic', backupName: undefined, sync: true},
      signal: 0,
      save: {exe: false, private: false, shared: false},
      ptraced: 'error',
      ptracer: 'error',
      timeSec: 0,
      kmsg: 'error',
    });
  });

  it('usage (exit 255) for anything but exactly one decimal ID, and for unknown or malformed options', () => {
    for (const argv of [[], ['1', '2'], ['x'], ['0x10'], ['1.5'], ['--bogus', '1'], ['-x', '1'], ['-f'], ['--file'], ['-S'], ['--ver', '1'], ['--cwd=x', '1'], ['-F', 'x', '1'], ['-t', '', '1'], ['-S', '9z', '1']]) {
      expect(ck(...argv), argv.join(' ')).to.deep.equal({kind: 'usage', quiet: false});
    }
  });

  it('-q before a usage error silences it; -v after -q counts up from -1', () => {
    expect(ck('-q')).to.deep.equal({kind: 'usage', quiet: true});
    expect(ck('--bogus', '-q')).to.deep.equal({kind: 'usage', quiet: false});
    expect(ck('-q', '-v')).to.deep.equal({kind: 'usage', quiet: false});
    const r = ck('-v', '-v', '7');
    expect(r.kind === 'run' && r.verbose).to.equal(2);
  });

  it('-h, --help, -? and abbreviations of --help print the usage on stdout; --version and --vers the version', () => {
    for (const argv of [['-h'], ['--help'], ['--he'], ['-?'], ['1', '2', '-?'], ['-q', '-h']]) expect(ck(...argv), argv.join(' ')).to.deep.equal({kind: 'help'});
    for (const argv of [['--version'], ['--vers'], ['--version', 'junk', 'junk']]) expect(ck(...argv), argv.join(' ')).to.deep.equal({kind: 'version'});
  });

  it('dies with EINVAL (22) and BLCR\'s message, at the option where cr_checkpoint would', () => {
    const die = (message: string) => ({kind: 'die', code: 22, message, quiet: false});
    expect(ck('-d', 'dir', '1')).to.deep.equal(die('-d flag not yet implemented\n'));
    expect(ck('--dir=dir', '1')).to.deep.equal(die('-d flag not yet implemented\n'));
    expect(ck('-f', 'a', '-f', 'b', '1')).to.deep.equal(die('conflicting destinations provided\n'));
    expect(ck('-c', '-f', 'a', '1')).to.deep.equal(die('conflicting destinations provided\n'));
    expect(ck('-f', 'a', '-c', '1')).to.deep.equal(die('conflicting destinations specified\n'));
    expect(ck('-c', '-c', '1')).to.deep.equal(die('conflicting destinations specified\n'));
    expect(ck('-F', '3', '-F', '4', '1')).to.deep.equal(die('conflicting destinations specified\n'));
    for (const s of ['0', '65', '-1']) expect(ck('-S', s, '1'), s).to.deep.equal(die('Valid signal numbers are from 1 to 64, inclusive.\n'));
    expect(ck('--time', '-1', '1')).to.deep.equal(die('Time limit must be non-negative.\n'));
    expect(ck('-F', '-1', '1')).to.deep.equal(die('directories not yet supported\n'));
    // The loop stops at the first problem: a die before a bad option, a usage before a die.
    expect(ck('-d', 'x', '--bogus')).to.deep.equal(die('-d flag not yet implemented\n'));
    expect(ck('--bogus', '-d', 'x', '1')).to.deep.equal({kind: 'usage', quiet: false});
    expect(ck('-q', '-d', 'x', '1')).to.deep.equal({...die('-d flag not yet implemented\n'), quiet: true});
  });

  it('scopes: -T -p -g -s, their long names and unique abbreviations; the last one wins', () => {
    const cases: Array<[string[], string]> = [
      [['-p'], 'proc'], [['--pid'], 'proc'], [['--process'], 'proc'], [['--proc'], 'proc'], [['-g'], 'pgrp'], [['--pgid'], 'pgrp'],
      [['--group'], 'pgrp'], [['--gr'], 'pgrp'], [['-s'], 'sess'], [['--sid'], 'sess'], [['--session'], 'sess'], [['--sess'], 'sess'],
      [['-pgs'], 'sess'], [['-s', '-T'], 'tree'], [['--tree'], 'tree'], [['-g', '--tr'], 'tree'],
    ];
    for (const [argv, scope] of cases) expect(opts(...argv, '9').scope, argv.join(' ')).to.equal(scope);
    expect(ck('--p', '9')).to.deep.equal({kind: 'usage', quiet: false});
    expect(ck('--s', '9')).to.deep.equal({kind: 'usage', quiet: false});
  });

  it('the ID may come anywhere (permutation) or after --; -f takes the next word whatever it is', () => {
    expect(opts('9', '--kill')).to.include({target: 9, signal: 9});
    expect(opts('--', '-5').target).to.equal(-5);
    expect(opts('-f', '--kill', '9').destination).to.include({path: `${CWD}/--kill`});
    expect(opts('-f/abs/ctx', '9').destination).to.include({path: '/abs/ctx'});
    expect(opts('--file=rel/ctx', '9').destination).to.include({path: `${CWD}/rel/ctx`});
    expect(opts(' 9').target).to.equal(9);
  });

  it('replace policies: --atomic --backup[=NAME] --clobber --noclobber, last wins; NAME only with =, kept by a later --backup', () => {
    expect(opts('--clobber', '1').destination).to.include({policy: 'clobber'});
    expect(opts('--noclobber', '1').destination).to.include({policy: 'noclobber'});
    expect(opts('--noclobber', '--atomic', '1').destination).to.include({policy: 'atomic'});
    expect(opts('--backup', '1').destination).to.include({policy: 'backup', backupName: undefined});
    expect(opts('--backup=old', '1').destination).to.include({policy: 'backup', backupName: `${CWD}/old`});
    expect(opts('--backup=old', '--atomic', '--backup', '1').destination).to.include({policy: 'backup', backupName: `${CWD}/old`});
    expect(opts('--back', '1').destination).to.include({policy: 'backup'});
    expect(ck('--backup', 'old', '1')).to.deep.equal({kind: 'usage', quiet: false});
    expect(ck('--clobber=x', '1')).to.deep.equal({kind: 'usage', quiet: false});
  });

  it('signals: --run --stop --term --abort --kill --cont, -S N, the hidden early forms; the last wins', () => {
    const cases: Array<[string[], number]> = [
      [['--stop'], 19], [['--term'], 15], [['--abort'], 6], [['--kill'], 9], [['--cont'], 18], [['--kill', '--run'], 0],
      [['-S', '10'], 10], [['-S10'], 10], [['--signal=64'], 64], [['--term', '-S', '3'], 3], [['-S', '3', '--term'], 15],
      [['--early-stop'], -19], [['--early-abrt'], -6], [['--early-s'], -19], [['--ki'], 9], [['--te'], 15],
    ];
    for (const [argv, sig] of cases) expect(opts(...argv, '1').signal, argv.join(' ')).to.equal(sig);
    expect(ck('--early', '1')).to.deep.equal({kind: 'usage', quiet: false});
  });

  it('save, ptrace, kmsg, sync and time options', () => {
    expect(opts('--save-exe', '--save-shared', '1').save).to.deep.equal({exe: true, private: false, shared: true});
    expect(opts('--save-all', '--save-none', '--save-private', '1').save).to.deep.equal({exe: false, private: true, shared: false});
    expect(opts('--ptraced-skip', '1').ptraced).to.equal('skip');
    expect(opts('--ptraced-skip', '--ptraced-allow', '1').ptraced).to.equal('allow');
    expect(opts('--ptraced-allow', '--ptraced-error', '1').ptraced).to.equal('error');
    expect(opts('--ptracer-skip', '1').ptracer).to.equal('skip');
    expect(opts('--kmsg-warning', '1').kmsg).to.equal('warning');
    expect(opts('--kmsg-none', '--kmsg-error', '1').kmsg).to.equal('error');
    expect(opts('--nosync', '1').destination).to.include({sync: false});
    expect(opts('--nosync', '--sync', '1').destination).to.include({sync: true});
    expect(opts('-t', '30', '1').timeSec).to.equal(30);
    expect(opts('-t30', '1').timeSec).to.equal(30);
  });

  it('-c is the default file, -F FD writes to an fd the kernel judges', () => {
    expect(opts('-c', '5').destination).to.include({kind: 'file', path: `${CWD}/context.5`});
    // 99 is not open: the kernel judges it (EINVAL), as for cr_checkpoint; one of Node's own is refused.
    expect(opts('-F', '99', '5').destination).to.deep.equal({kind: 'fd', fd: 99, sync: true, precheck: false});
    expect(opts('--fd=99', '--nosync', '5').destination).to.deep.equal({kind: 'fd', fd: 99, sync: false, precheck: false});
    const own = fs.readdirSync('/proc/self/fd').map(Number).find((fd) => fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('anon_inode:'))!;
    expect(ck('-F', String(own), '5')).to.deep.include({kind: 'die', code: 22});
  });
});

describe('cr_restart argv (util/cr_restart/cr_restart.c)', () => {
  it('defaults: restore the pid only, no signal, omit-maybe, kmsg on error, no hooks', () => {
    expect(ropts('ctx')).to.deep.equal({
      source: {kind: 'file', path: `${CWD}/ctx`},
      signal: 0,
      relocate: [],
      restorePid: true,
      restorePgid: false,
      restoreSid: false,
      omit: 'maybe',
      hooks: {},
      kmsg: 'error',
    });
  });

  it('-v and --version print the version; -h, -? and --help the usage', () => {
    for (const argv of [['-v'], ['--version'], ['--vers'], ['-v', 'ctx'], ['ctx', '-v', '--bogus']]) expect(rs(...argv), argv.join(' ')).to.deep.equal({kind: 'version'});
    for (const argv of [['-h'], ['-?'], ['--help'], ['--he']]) expect(rs(...argv), argv.join(' ')).to.deep.equal({kind: 'help'});
    expect(rs('--bogus', '-v')).to.deep.equal({kind: 'usage', quiet: false, hook: undefined});
  });

  it('usage (255) with the args hook as set so far: no FILE, two FILEs, FILE with -f or -F, bad options', () => {
    for (const argv of [[], ['a', 'b'], ['-f', 'a', 'b'], ['-F', '3', 'b'], ['--bogus', 'ctx'], ['-S', 'x', 'ctx'], ['--run-on-fail', 'x', 'ctx'], ['--no-restore-p', 'ctx']]) {
      expect(rs(...argv), argv.join(' ')).to.deep.equal({kind: 'usage', quiet: false, hook: undefined});
    }
    expect(rs('--run-on-fail-args', 'exit 42', '--bad-argument')).to.deep.equal({kind: 'usage', quiet: false, hook: 'exit 42'});
    expect(rs('--bad-argument', '--run-on-fail-args', 'exit 42')).to.deep.equal({kind: 'usage', quiet: false, hook: undefined});
    expect(rs('--run-on-failure=exit 3', '-q')).to.deep.equal({kind: 'usage', quiet: true, hook: 'exit 3'});
  });

  it('dies with EINVAL (22) after the args hook, with BLCR\'s messages', () => {
    const die = (message: string, hook?: string) => ({kind: 'die', code: 22, message, quiet: false, hook});
    expect(rs('-f', 'a', '-f', 'b')).to.deep.equal(die('multiple source arguments specified\n'));
    expect(rs('-F', '3', '-d', 'x')).to.deep.equal(die('multiple source arguments specified\n'));
    expect(rs('-d', 'x')).to.deep.equal(die('-d flag not yet implemented\n'));
    expect(rs('--run-on-fail-args=h', '-F', '-2')).to.deep.equal(die('FD argument must be a non-negatvive integer (-2 was given)\n', 'h'));
    expect(rs('-S', '65', 'ctx')).to.deep.equal(die('Valid signal numbers are from 1 to 64, inclusive.\n'));
    expect(rs('--relocate', '/a', 'ctx')).to.deep.equal(die("Relocation argument '/a' contains no unescaped '=' characters.\n"));
    expect(rs('--relocate', '/a=/b=/c', 'ctx')).to.deep.equal(die("Relocation argument '/a=/b=/c' contains multiple unescaped '=' characters.\n"));
    expect(rs('--relocate', 'a=/b', 'ctx')).to.deep.equal(die("Relocation paths must begin with '/', but have 'a=/b'\n"));
    expect(rs('--relocate=/a=b', 'ctx')).to.deep.equal(die("Relocation paths must begin with '/', but have '/a=b'\n"));
    const sixteen = Array.from({length: 16}, (_, i) => `--relocate=/o${i}=/n${i}`);
    expect(rs(...sixteen, '--relocate=/x=/x', 'ctx')).to.deep.equal(die('Too many relocations (max is 16).\n'));
    expect(ropts(...sixteen, 'ctx').relocate).to.have.length(16);
  });

  it('relocations: escapes, trailing slashes trimmed, identity pairs dropped and not counted', () => {
    expect(ropts('--relocate', '/a\\=b/=/c//', '--relocate=/x\\\\y=/z', '--relocate', '/same/=/same', 'ctx').relocate).to.deep.equal([
      ['/a=b', '/c'],
      ['/x\\y', '/z'],
    ]);
    const identities = Array.from({length: 20}, () => '--relocate=/s=/s/');
    expect(ropts(...identities, '--relocate=/o=/n', 'ctx').relocate).to.deep.equal([['/o', '/n']]);
    expect(ropts('--rel', '/o=/n', 'ctx').relocate).to.deep.equal([['/o', '/n']]);
  });

  it('signals (--freeze is --stop), restore flags, omit, kmsg; the last one wins', () => {
    expect(ropts('--freeze', 'c').signal).to.equal(19);
    expect(ropts('--kill', '--run', 'c').signal).to.equal(0);
    expect(ropts('-S', '12', 'c').signal).to.equal(12);
    expect(ropts('--early-abrt', 'c').signal).to.equal(-6);
    expect(ropts('--no-restore-pid', 'c')).to.include({restorePid: false});
    expect(ropts('--no-restore-pid', '--restore-pid', '--restore-pgid', '--restore-sid', '--no-restore-sid', 'c')).to.include({restorePid: true, restorePgid: true, restoreSid: false});
    expect(ropts('--omit-always', 'c').omit).to.equal('always');
    expect(ropts('--omit-never', '--omit-maybe', 'c').omit).to.equal('maybe');
    expect(ropts('--kmsg-none', 'c').kmsg).to.equal('none');
  });

  it('hooks: each --run-on-*, --run-on-failure sets the four fail hooks, later ones override, empty is none', () => {
    expect(ropts('--run-on-success', 'ok', '--run-on-fail-temp=t', 'c').hooks).to.deep.equal({success: 'ok', temp: 't'});
    expect(ropts('--run-on-failure', 'f', '--run-on-fail-env', 'e', 'c').hooks).to.deep.equal({temp: 'f', env: 'e', args: 'f', perm: 'f'});
    expect(ropts('--run-on-fail-perm', 'p', '--run-on-failure', 'f', 'c').hooks).to.deep.equal({temp: 'f', env: 'f', args: 'f', perm: 'f'});
    expect(ropts('--run-on-success=', 'c').hooks).to.deep.equal({});
    expect(ropts('--run-on-s', 'ok', 'c').hooks).to.deep.equal({success: 'ok'});
  });

  it('sources: FILE, -f FILE, -F FD; the FILE as given for the open', () => {
    const r = rs('-f', 'ctx');
    expect(r.kind === 'run' && r.fileArg).to.equal('ctx');
    expect(ropts('-F', '5').source).to.deep.equal({kind: 'fd', fd: 5});
    const fd = rs('--fd=5');
    expect(fd.kind === 'run' && fd.fileArg).to.equal(null);
    expect(ropts('-fctx').source).to.deep.equal({kind: 'file', path: `${CWD}/ctx`});
  });
});

describe('cr_run argv (util/cr_run/cr_run.in)', () => {
  it('stops at the program: its options are its own', () => {
    expect(parseCrRun(['prog', '--file', 'X', '--omit'])).to.deep.equal({kind: 'run', omit: false, program: 'prog', args: ['--file', 'X', '--omit']});
    expect(parseCrRun(['--omit', 'prog', '--run'])).to.deep.equal({kind: 'run', omit: true, program: 'prog', args: ['--run']});
    expect(parseCrRun(['--omit', '--run', 'prog'])).to.deep.equal({kind: 'run', omit: false, program: 'prog', args: []});
    expect(parseCrRun(['--', '--omit', 'x'])).to.deep.equal({kind: 'run', omit: false, program: '--omit', args: ['x']});
    expect(parseCrRun(['-x', '--help'])).to.deep.equal({kind: 'run', omit: false, program: '-x', args: ['--help']});
    expect(parseCrRun(['--omit', '--', 'p', '--'])).to.deep.equal({kind: 'run', omit: true, program: 'p', args: ['--']});
  });

  it('--help and -? print help, --version the version, each as it comes; nothing to run exits 0', () => {
    expect(parseCrRun(['--help', 'p'])).to.deep.equal({kind: 'help'});
    expect(parseCrRun(['--omit', '-?'])).to.deep.equal({kind: 'help'});
    expect(parseCrRun(['--version', '--help'])).to.deep.equal({kind: 'version'});
    expect(parseCrRun(['p', '--version'])).to.include({kind: 'run'});
    expect(parseCrRun([])).to.deep.equal({kind: 'nothing'});
    expect(parseCrRun(['--omit', '--'])).to.deep.equal({kind: 'nothing'});
  });

  it('LD_PRELOAD: the library first, older libcr_run/libcr_omit entries and empty ones dropped, joined by colons', () => {
    expect(crRunPreload('libcr_run.so.0', undefined)).to.equal('libcr_run.so.0');
    expect(crRunPreload('libcr_run.so.0', ':')).to.equal('libcr_run.so.0');
    expect(crRunPreload('libcr_omit.so.0', 'a.so:/opt/blcr/lib/libcr_run.so.0::libcr_omit.so:b.so')).to.equal('libcr_omit.so.0:a.so:b.so');
    // Only ':' separates entries for cr_run: a space-separated list is one entry, kept.
    expect(crRunPreload('libcr_run.so.0', 'a.so libcr_run.so.0')).to.equal('libcr_run.so.0:a.so libcr_run.so.0');
  });
});
