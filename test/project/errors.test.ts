// Exit codes and messages as BLCR's tools give them.
import {expect} from 'chai';
import {checkpointFailed} from '../../src/engines/blcr/messages.js';
import {CR_E, crStrerror, E, exitCodeForErrno} from '../../src/errors/index.js';

describe('BLCR exit codes and messages', () => {
  it('exits with errno & 0xff: ESRCH 3, EBUSY 16, ENOSYS 38, CR_E* 50..61', () => {
    expect(exitCodeForErrno(E.ESRCH)).to.equal(3);
    expect(exitCodeForErrno(E.EBUSY)).to.equal(16);
    expect(exitCodeForErrno(E.ENOSYS)).to.equal(38);
    expect(Object.values(CR_E).map(exitCodeForErrno)).to.deep.equal([50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61]);
  });

  it('words failures as cr_checkpoint does', () => {
    expect(checkpointFailed('reap', E.ESRCH).message).to.equal('Checkpoint failed: no processes checkpointed');
    expect(checkpointFailed('reap', CR_E.CR_ENOSUPPORT).message).to.equal('Checkpoint failed: support missing from application');
    expect(checkpointFailed('reap', CR_E.CR_EPERMFAIL).message).to.equal('Checkpoint cancelled by application: unable to checkpoint');
    expect(checkpointFailed('reap', CR_E.CR_ETEMPFAIL).message).to.equal('Checkpoint cancelled by application: try again later');
    expect(checkpointFailed('reap', E.EBUSY).message).to.equal('Checkpoint failed: Device or resource busy');
    expect(checkpointFailed('reap', E.ENOSYS).message).to.equal('Checkpoint failed: support missing from kernel');
    expect(checkpointFailed('reap', E.EBUSY, ['a', 'b']).details).to.deep.equal(['- a', '- b']);
  });

  it("gives BLCR's cr_strerror text for its own codes", () => {
    expect(crStrerror(CR_E.CR_EPTRACED)).to.equal('One or more target processes is being ptraced');
    expect(crStrerror(CR_E.CR_EVERSION)).to.equal('Requested kernel interface version is not supported');
    expect(crStrerror(E.EMLINK)).to.equal('Too many links');
  });
});
