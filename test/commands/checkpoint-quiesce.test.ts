// `cr checkpoint --quiesce` on the host: flag errors, and a missing device-mapper fails before the
// targets are touched. The full sequence on real device-mapper is the kernel lane's quiesce scenario.
import {expect} from 'chai';
import fs from 'node:fs';
import {procState, runCr, scratchDir, startCounter} from '../helpers/procs.js';

describe('cr checkpoint --quiesce (host)', function () {
  this.timeout(30_000);
  const scratch = scratchDir('cr-quiesce-');

  const usage: [string, string[], RegExp][] = [
    ['--while-quiesced without --quiesce', ['--while-quiesced', 'true'], /Expected --while-quiesced to come with --quiesce NAME/],
    ['--quiesce-timeout without --quiesce', ['--quiesce-timeout', '5'], /Expected --quiesce-timeout to come with --quiesce NAME/],
    ['a device path instead of a name', ['--quiesce', '/dev/mapper/m'], /Expected --quiesce to be a device-mapper device name \(no '\/', at most 127 bytes\), got `\/dev\/mapper\/m`/],
    ['--quiesce-timeout 0', ['--quiesce', 'm', '--quiesce-timeout', '0'], /--quiesce-timeout: Expected a duration \(seconds, or 500ms, 30s, 5m, 1h30m, 2d\) greater than 0, got `0`/],
    ['an empty command', ['--quiesce', 'm', '--while-quiesced', ' '], /Expected --while-quiesced to be a command/],
    ['an early abort signal', ['--quiesce', 'm', '--early-abrt'], /Expected no early signal other than --early-stop with --quiesce/],
  ];
  for (const [what, flags, message] of usage) {
    it(`refuses ${what} with 255`, async () => {
      const r = await runCr(['checkpoint', ...flags, '-f', `${scratch.path}/x.ctx`, '1'], {kernel: false});
      expect(r.code, r.stderr).to.equal(255);
      expect(r.stderr).to.match(message);
    });
  }

  it('without device-mapper: exits 2 naming /dev/mapper/control; the target runs on and nothing is written', async () => {
    const prog = await startCounter();
    const file = `${scratch.path}/q.ctx`;
    const r = await runCr(['checkpoint', '--quiesce', 'm', '--while-quiesced', `touch ${scratch.path}/ran`, '--kill', '-f', file, String(prog.pid)]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/device-mapper is missing: \/dev\/mapper\/control/);
    expect(fs.existsSync(file)).to.equal(false);
    expect(fs.existsSync(`${scratch.path}/ran`)).to.equal(false);
    expect(procState(prog.pid)).to.be.oneOf(['R', 'S']);
  });

  it('--json: the error document names the missing device-mapper', async () => {
    const prog = await startCounter();
    const r = await runCr(['checkpoint', '--json', '--quiesce', 'm', '-f', `${scratch.path}/j.ctx`, String(prog.pid)]);
    expect(r.code).to.equal(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.error.exitCode).to.equal(2);
    expect(doc.error.message).to.match(/device-mapper is missing/);
  });
});
