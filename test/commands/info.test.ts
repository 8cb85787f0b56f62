// `cr info`: present, missing (38) and version mismatch (53, both versions named).
import {expect} from 'chai';
import {itTestKernel, KERNEL, scaled} from '../helpers/kernel.js';
import {runCr} from '../helpers/procs.js';

describe(`cr info (${KERNEL} kernel)`, function () {
  this.timeout(scaled(20_000));

  itTestKernel('without BLCR exits 38 with "support missing from kernel"', 'needs /proc/checkpoint/ctrl absent', async () => {
    const r = await runCr(['info'], {kernel: false});
    expect(r.code).to.equal(38);
    expect(r.stderr).to.contain('support missing from kernel');
    expect(r.stderr).to.contain('/proc/checkpoint/ctrl');
  });

  it('reports interface 0.10 and passes the version check', async () => {
    const r = await runCr(['info', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(JSON.parse(r.stdout)).to.deep.equal({ok: true, ctrlFile: '/proc/checkpoint/ctrl', present: true, interface: '0.10', blcrRelease: '0.8.x', versionOk: true, warnings: []});
  });

  itTestKernel('names both versions when the kernel module speaks another interface (exit 53, CR_EVERSION)', 'the version set by CR_TESTKERNEL_VERSION', async () => {
    for (const [v, theirs] of [['0xB', '0.11'], ['0x10003', '1.3']]) {
      const r = await runCr(['info'], {env: {CR_TESTKERNEL_VERSION: v}});
      expect(r.code).to.equal(53);
      expect(r.stderr).to.contain('cr speaks kernel interface 0.10');
      expect(r.stderr).to.contain(`the kernel module speaks interface ${theirs}`);
    }
    const r = await runCr(['checkpoint', '999999'], {env: {CR_TESTKERNEL_VERSION: '0xB'}}); // the version check comes first
    expect(r.code).to.equal(53);
  });
});
