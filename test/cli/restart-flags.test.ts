// cr_restart flags -> options: --relocate syntax, identifiers, signals, hooks, sources.
import {expect} from 'chai';
import fs from 'node:fs';
import {Args, Parser} from '@oclif/core';
import {parseRelocation, parseRelocations} from '../../src/cli/relocate.js';
import {restartFlags} from '../../src/cli/restart-flag-defs.js';
import {hooksFromArgv, restartOptionsFromFlags} from '../../src/cli/restart-flags.js';
import {rstrtFlags} from '../../src/engines/blcr/restart.js';
import {failureClass} from '../../src/engines/blcr/messages.js';
import {UsageError} from '../../src/errors/index.js';

async function opts(...argv: string[]) {
  const {flags, raw, args} = await Parser.parse(argv, {flags: restartFlags, args: {file: Args.string()}, strict: true});
  return restartOptionsFromFlags(flags as any, raw as any, args.file as string | undefined, '/w');
}

describe('cr restart flags', () => {
  it('parses --relocate as cr_restart does: escapes, trailing slashes, identity pairs dropped', () => {
    expect(parseRelocation('/old=/new')).to.deep.equal(['/old', '/new']);
    expect(parseRelocation('/a\\=b/=/c//')).to.deep.equal(['/a=b', '/c']);
    expect(parseRelocation('/x\\\\y=/z')).to.deep.equal(['/x\\y', '/z']);
    expect(parseRelocation('/same/=/same')).to.equal(undefined);
    for (const bad of ['/a', '/a=/b=/c', 'a=/b', '/a=b', '=/b']) expect(() => parseRelocation(bad), bad).to.throw(UsageError);
    expect(() => parseRelocations(Array.from({length: 17}, (_, i) => `/a${i}=/b`))).to.throw(/at most 16/);
    expect(parseRelocations(Array.from({length: 16}, (_, i) => `/a${i}=/b`))).to.have.length(16);
  });

  it('defaults like cr_restart: restore pid only, run on, kmsg on error', async () => {
    const o = await opts('job.ctx');
    expect(o).to.deep.include({signal: 0, restorePid: true, restorePgid: false, restoreSid: false, omit: 'maybe', kmsg: 'error'});
    expect(o.source).to.deep.equal({kind: 'file', path: '/w/job.ctx'});
    expect(rstrtFlags(o)).to.equal(0x3);
  });

  it('maps the identifier flags (last wins) into the request flags', async () => {
    expect(rstrtFlags(await opts('--no-restore-pid', 'f'))).to.equal(0x1);
    expect(rstrtFlags(await opts('--restore-pgid', '--restore-sid', 'f'))).to.equal(0xf);
    expect(rstrtFlags(await opts('--restore-sid', '--no-restore-sid', '--no-restore-pid', '--restore-pid', 'f'))).to.equal(0x3);
  });

  it('takes the source from FILE, -f or -F, never two at once', async () => {
    expect((await opts('-f', 'a.ctx')).source).to.deep.equal({kind: 'file', path: '/w/a.ctx'});
    const fd = fs.openSync(process.execPath, 'r');
    try {
      expect((await opts('-F', String(fd))).source).to.deep.equal({kind: 'fd', fd});
    } finally {
      fs.closeSync(fd);
    }
    await opts('-f', 'a', 'b').then(() => expect.fail('accepted two sources'), (e) => expect(e).to.be.instanceOf(UsageError));
    await opts().then(() => expect.fail('accepted no source'), (e) => expect(e.message).to.contain('context file'));
  });

  it('maps signals, --freeze included', async () => {
    expect((await opts('--freeze', 'f')).signal).to.equal(19);
    expect((await opts('--kill', '--cont', 'f')).signal).to.equal(18);
    expect((await opts('-S', '10', 'f')).signal).to.equal(10);
  });

  it('resolves hooks, --run-on-failure filling every fail hook in order', async () => {
    expect((await opts('--run-on-failure=A', '--run-on-fail-temp', 'B', '--run-on-success=C', 'f')).hooks).to.deep.equal({args: 'A', temp: 'B', env: 'A', perm: 'A', success: 'C'});
    expect(hooksFromArgv(['--run-on-fail-args', 'X', '--bogus', '--run-on-success=Y'])).to.deep.equal({args: 'X', success: 'Y'});
  });

  it('classes failures as cr_restart does', () => {
    expect([12, 16].map(failureClass)).to.deep.equal(['temp', 'temp']);
    expect([13, 1, 2, 17, 21, 20].map(failureClass)).to.deep.equal(['env', 'env', 'env', 'env', 'env', 'env']);
    expect([22, 5, 38, 2359].map(failureClass)).to.deep.equal(['perm', 'perm', 'perm', 'perm']);
  });
});
