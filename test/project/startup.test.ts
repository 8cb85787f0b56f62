// `cr --help` must stay light: no koffi (the dynamic linker is asked what it mapped).
import {expect} from 'chai';
import {spawnSync} from 'node:child_process';
import {CR_BIN} from '../helpers/paths.js';

const mapped = (args: string[]) =>
  spawnSync(process.execPath, [CR_BIN, ...args], {env: {...process.env, LD_DEBUG: 'files'}, encoding: 'utf8'}).stderr.match(/file=\S*koffi\.node/g) ?? [];

describe('start-up', function () {
  this.timeout(20_000);

  it('cr --help and cr checkpoint --help load no koffi', () => {
    expect(mapped(['--help'])).to.deep.equal([]);
    expect(mapped(['checkpoint', '--help'])).to.deep.equal([]);
  });

  it('cr info does load koffi (so the check above can fail)', () => {
    expect(mapped(['info'])).to.have.length.greaterThan(0);
  });
});
