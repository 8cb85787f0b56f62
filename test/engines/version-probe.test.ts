// The interface-version probe after a mismatch: it names the kernel's version while asking the
// real module as little as possible (BLCR's ctrl_ioctl logs "request from pid N for unsupported
// version" for every VERSION it refuses). The fake below answers with cr_fops.c's rule: equal
// major, and for major 0 an equal minor, otherwise a user minor <= the kernel's.
import {expect} from 'chai';
import {probeKernelInterface} from '../../src/engines/blcr/version.js';

function kernel(major: number, minor: number) {
  const asked: number[] = [];
  return {
    asked,
    version(v: number) {
      asked.push(v);
      const [uMajor, uMinor] = [v >> 16, v & 0xffff];
      const match = uMajor === major && (major ? uMinor <= minor : uMinor === minor);
      return match ? 0 : -2357;
    },
  };
}

describe('interface version probe', () => {
  for (const [major, minor] of [[0, 11], [0, 3], [1, 3], [1, 0], [2, 200]]) {
    it(`finds interface ${major}.${minor} with at most 27 refused requests`, () => {
      const k = kernel(major, minor);
      expect(probeKernelInterface(k)).to.deep.equal({major, minor});
      expect(k.asked.length).to.be.at.most(27);
    });
  }

  it('gives up (undefined) on an interface outside the probed ranges, still within 27 requests', () => {
    const k = kernel(7, 1);
    expect(probeKernelInterface(k)).to.equal(undefined);
    expect(k.asked.length).to.be.at.most(27);
  });
});
