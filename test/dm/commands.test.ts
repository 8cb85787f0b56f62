// `cr dm` as subprocesses on a host without device-mapper.
import {expect} from 'chai';
import fs from 'node:fs';
import {runCr} from '../helpers/procs.js';

describe('cr dm without device-mapper', function () {
  this.timeout(30_000);
  before(function () {
    if (fs.existsSync('/dev/mapper/control')) this.skip(); // this host has device-mapper: the qemu lane covers it
  });

  for (const args of [['dm', 'ls'], ['dm', 'status', 'vg-lv'], ['dm', 'suspend', 'a', 'b'], ['dm', 'resume', 'a'], ['dm', 'wait', 'vg-lv', '--timeout', '1s']]) {
    it(`cr ${args.join(' ')} exits 2 naming /dev/mapper/control`, async () => {
      const r = await runCr(args, {kernel: false});
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr).to.contain('device-mapper is missing: /dev/mapper/control does not exist');
      expect(r.stderr).to.contain('dm_mod');
      expect(r.stdout).to.equal('');
    });
  }

  it('--json puts the error document on stdout', async () => {
    const r = await runCr(['dm', 'ls', '--json'], {kernel: false});
    expect(r.code).to.equal(2);
    expect(JSON.parse(r.stdout).error).to.deep.include({code: 'ENOENT', exitCode: 2});
  });

  it('rejects a bad name or duration as a usage error (255) before opening anything', async () => {
    for (const [args, text] of [
      [['dm', 'status', 'a/b'], 'Expected NAME to be a device-mapper device name'],
      [['dm', 'suspend', 'ok', 'x'.repeat(200)], 'Expected NAME to be a device-mapper device name'],
      [['dm', 'wait', 'vg', '--timeout', 'later'], '--timeout: Expected a duration'],
      [['dm', 'wait', 'vg', '--event', '-1'], '--event'],
    ] as const) {
      const r = await runCr([...args], {kernel: false});
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(255);
      expect(r.stderr).to.contain(text);
    }
  });
});
