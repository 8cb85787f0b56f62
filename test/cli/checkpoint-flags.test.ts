// cr_checkpoint flags -> options: defaults, last-one-wins groups, and usage errors (exit 255).
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Parser} from '@oclif/core';
import {checkpointFlags, normalizeCheckpointArgv} from '../../src/cli/checkpoint-flag-defs.js';
import {checkpointOptionsFromFlags} from '../../src/cli/checkpoint-flags.js';
import {chkptFlags, toChkptArgs} from '../../src/engines/blcr/request.js';
import {UsageError} from '../../src/errors/index.js';
import {Args} from '@oclif/core';

async function opts(...argv: string[]) {
  const {flags, raw, args} = await Parser.parse(normalizeCheckpointArgv(argv), {flags: checkpointFlags, args: {id: Args.string()}, strict: true});
  return checkpointOptionsFromFlags(flags as any, raw as any, args.id as string | undefined, '/work/dir');
}

describe('cr checkpoint flags', () => {
  it('defaults like cr_checkpoint: tree scope, context.<ID> in the cwd, atomic, sync, no signal', async () => {
    const o = await opts('4242');
    expect(o).to.deep.include({target: 4242, scope: 'tree', signal: 0, ptraced: 'error', ptracer: 'error', timeSec: 0, kmsg: 'error'});
    expect(o.destination).to.deep.equal({kind: 'file', path: '/work/dir/context.4242', policy: 'atomic', backupName: undefined, sync: true});
    expect(o.save).to.deep.equal({exe: false, private: false, shared: false});
  });

  it('maps each scope flag, its letter and its alias; the last one wins', async () => {
    expect((await opts('-p', '7')).scope).to.equal('proc');
    expect((await opts('--process', '7')).scope).to.equal('proc');
    expect((await opts('-g', '7')).scope).to.equal('pgrp');
    expect((await opts('--group', '7')).scope).to.equal('pgrp');
    expect((await opts('-s', '7')).scope).to.equal('sess');
    expect((await opts('--session', '7')).scope).to.equal('sess');
    expect((await opts('-p', '-T', '7')).scope).to.equal('tree');
    expect((await opts('-T', '-g', '7')).scope).to.equal('pgrp');
  });

  it('maps the after-checkpoint signals, early forms included; the last one wins', async () => {
    const cases: Array<[string[], number]> = [
      [['--run'], 0], [['--stop'], 19], [['--term'], 15], [['--abort'], 6], [['--kill'], 9], [['--cont'], 18],
      [['--early-stop'], -19], [['--early-abrt'], -6], [['-S', '10'], 10], [['--signal', '12'], 12],
      [['--kill', '--run'], 0], [['--signal', '3', '--term'], 15], [['--term', '-S', '3'], 3],
    ];
    for (const [argv, sig] of cases) expect((await opts(...argv, '7')).signal, argv.join(' ')).to.equal(sig);
  });

  it('refuses a signal outside 1..64 with the flag named (exit 255)', async () => {
    for (const bad of ['0', '65', '-3']) {
      const err = await opts('--signal', bad, '7').catch((e) => e);
      expect(err).to.be.instanceOf(UsageError);
      expect(err.exitCode).to.equal(255);
      expect(err.message).to.contain('--signal');
    }
  });

  it('refuses a missing or non-decimal ID', async () => {
    for (const argv of [['abc'], ['12x'], ['1.5'], []]) {
      const err = await opts(...argv).catch((e) => e);
      expect(err, argv.join(' ')).to.be.instanceOf(UsageError);
      expect(err.exitCode).to.equal(255);
      expect(err.message).to.contain('ID');
    }
  });

  it('builds save flags in order, --save-all and --save-none included', async () => {
    expect((await opts('--save-exe', '7')).save).to.deep.equal({exe: true, private: false, shared: false});
    expect((await opts('--save-all', '7')).save).to.deep.equal({exe: true, private: true, shared: true});
    expect((await opts('--save-all', '--save-none', '--save-shared', '7')).save).to.deep.equal({exe: false, private: false, shared: true});
  });

  it('builds the request flags: always ASYNC_ERR, PROHIBIT_SELF only without cr\'s own omit handler, plus save and ptrace bits', async () => {
    expect(chkptFlags(await opts('7'))).to.equal(0x10);
    expect(chkptFlags(await opts('7'), false)).to.equal(0x11);
    expect(chkptFlags(await opts('--save-all', '7'))).to.equal(0xe10);
    expect(chkptFlags(await opts('--ptraced-allow', '7'))).to.equal(0x12);
    expect(chkptFlags(await opts('--ptraced-allow', '--ptraced-skip', '7'))).to.equal(0x14);
    expect(chkptFlags(await opts('--ptraced-skip', '--ptraced-error', '--ptracer-skip', '7'))).to.equal(0x18);
    const args = toChkptArgs(await opts('-g', '--kill', '-t', '30', '99'), 7);
    expect(args).to.deep.equal({cr_target: 99, cr_scope: 1, cr_fd: 7, cr_secs: 30, dump_format: 0, signal: 9, flags: 0x10});
    expect(toChkptArgs(await opts('99'), 7, false).flags).to.equal(0x11);
  });

  it('resolves destinations: -f, -d, -c, -F; the last one wins', async () => {
    expect((await opts('-f', 'x.ctx', '5')).destination).to.include({kind: 'file', path: '/work/dir/x.ctx'});
    expect((await opts('-f', '/abs/y', '5')).destination).to.include({path: '/abs/y'});
    expect((await opts('--dir', 'ck', '5')).destination).to.deep.equal({kind: 'store', dir: '/work/dir/ck', job: 'pid5', keep: undefined, sync: true});
    expect((await opts('-d', 'ck', '--job', 'my job', '--keep', '3', '5')).destination).to.include({job: 'my job', keep: 3});
    expect((await opts('-f', 'a', '-c', '5')).destination).to.include({path: '/work/dir/context.5'});
    // A descriptor of the caller's, open for writing (cr refuses its own: test/cli/bad-input.test.ts).
    const fd = fs.openSync(path.join(os.tmpdir(), `cr-flags-${process.pid}.ctx`), 'w');
    try {
      expect((await opts('-F', String(fd), '5')).destination).to.deep.equal({kind: 'fd', fd, sync: true});
    } finally {
      fs.closeSync(fd);
      fs.rmSync(path.join(os.tmpdir(), `cr-flags-${process.pid}.ctx`), {force: true});
    }
    expect((await opts('--nosync', '5')).destination).to.include({sync: false});
  });

  it('takes --backup with and without NAME, and the other replace policies', async () => {
    expect((await opts('--backup', '5')).destination).to.include({policy: 'backup', backupName: undefined});
    expect((await opts('--backup=old.ctx', '5')).destination).to.include({policy: 'backup', backupName: 'old.ctx'});
    expect((await opts('--clobber', '5')).destination).to.include({policy: 'clobber'});
    expect((await opts('--noclobber', '5')).destination).to.include({policy: 'noclobber'});
    expect((await opts('--noclobber', '--atomic', '5')).destination).to.include({policy: 'atomic'});
  });

  it('refuses --keep and --job without --dir, and --keep 0', async () => {
    for (const argv of [['--keep', '2', '5'], ['--job', 'x', '5'], ['-d', 'ck', '--keep', '0', '5']]) {
      const err = await opts(...argv).catch((e) => e);
      expect(err, argv.join(' ')).to.be.instanceOf(UsageError);
      expect(err.message).to.match(/--keep|--job/);
    }
  });

  it('takes --time and the kmsg levels', async () => {
    expect((await opts('-t', '5', '5')).timeSec).to.equal(5);
    expect((await opts('--kmsg-warning', '5')).kmsg).to.equal('warning');
    expect((await opts('--kmsg-warning', '--kmsg-none', '5')).kmsg).to.equal('none');
    const err = await opts('-t', '-1', '5').catch((e) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect(err.message).to.contain('--time');
  });
});

describe('option validation messages', () => {
  it('name the flag, the expectation and the value', async () => {
    const {CheckpointOptionsSchema, describeIssue} = await import('../../src/schema/index.js');
    const input = {target: 1, scope: 'tree', destination: {kind: 'fd', fd: 1, sync: true}, signal: 99, save: {exe: false, private: false, shared: false}, ptraced: 'error', ptracer: 'error', timeSec: 0, kmsg: 'error'};
    const r = CheckpointOptionsSchema.safeParse(input);
    expect(r.success).to.equal(false);
    expect(describeIssue(r.error!, input, {signal: '--signal'})).to.equal('Expected --signal to be at most 64, got `99`');
    const bad = {...input, signal: 0, scope: 'galaxy'};
    const r2 = CheckpointOptionsSchema.safeParse(bad);
    expect(describeIssue(r2.error!, bad)).to.equal("Expected `scope` to be one of `proc`, `pgrp`, `sess`, `tree`, got `\"galaxy\"`");
  });
});
