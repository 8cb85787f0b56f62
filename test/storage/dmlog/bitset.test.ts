// Region bitmaps: byte i/8, bit i%8; spare bits stay zero.
import {expect} from 'chai';
import {Bitset} from '../../../src/storage/dmlog/bitset.js';

describe('dmlog Bitset', () => {
  it('lays bits out little-endian: bit i is byte i/8, bit i%8', () => {
    const b = new Bitset(20);
    expect(b.bytes.length).to.equal(3);
    b.set(0);
    b.set(9);
    b.set(19);
    expect([...b.bytes]).to.deep.equal([0x01, 0x02, 0x08]);
    expect(b.get(9)).to.equal(true);
    expect(b.get(8)).to.equal(false);
    b.clear(9);
    expect([...b.bytes]).to.deep.equal([0x01, 0x00, 0x08]);
  });

  it('setAll leaves the spare bits of the last byte clear; popcount counts set bits', () => {
    const b = new Bitset(13);
    b.setAll();
    expect([...b.bytes]).to.deep.equal([0xff, 0x1f]);
    expect(b.popcount()).to.equal(13);
    b.clear(12);
    expect(b.popcount()).to.equal(12);
  });

  it('setRange and clearRange agree with bit-by-bit loops on random ranges', () => {
    for (let n = 0; n < 300; n++) {
      const size = 1 + Math.floor(Math.random() * 70);
      const from = Math.floor(Math.random() * (size + 1));
      const to = from + Math.floor(Math.random() * (size - from + 1));
      const a = new Bitset(size);
      const want = new Bitset(size);
      a.setRange(from, to);
      for (let i = from; i < to; i++) want.set(i);
      expect([...a.bytes], `set [${from},${to}) of ${size}`).to.deep.equal([...want.bytes]);
      a.setAll();
      want.setAll();
      a.clearRange(from, to);
      for (let i = from; i < to; i++) want.clear(i);
      expect([...a.bytes], `clear [${from},${to}) of ${size}`).to.deep.equal([...want.bytes]);
    }
  });

  it('findNextClear finds the first clear bit at or after a start, or size', () => {
    const b = new Bitset(40);
    b.setAll();
    expect(b.findNextClear(0)).to.equal(40);
    b.clear(3);
    b.clear(33);
    expect(b.findNextClear(0)).to.equal(3);
    expect(b.findNextClear(3)).to.equal(3);
    expect(b.findNextClear(4)).to.equal(33);
    expect(b.findNextClear(34)).to.equal(40);
    expect(new Bitset(16).findNextClear(5)).to.equal(5);
  });

  it('loadPrefix copies only the first count bits', () => {
    const b = new Bitset(20);
    b.set(15);
    b.set(19);
    b.loadPrefix(Buffer.from([0xff, 0x0f, 0xff]), 12);
    expect([...b.bytes]).to.deep.equal([0xff, 0x8f, 0x08]);
  });
});
