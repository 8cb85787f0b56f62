// Shared checkpoint directories: job names taken literally or refused, temporaries removed only when
// their writer is provably dead, the job lock that follows no symlink, and its lease fallback where
// flock(2) is missing.
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {CrError, UsageError} from '../../src/errors/index.js';
import {
  checkpointName,
  hostTag,
  jobName,
  listCheckpoints,
  LockBusyError,
  lockJob,
  parseLease,
  parseName,
  removeStaleJobTemps,
  removeStaleTemps,
  tempPathFor,
} from '../../src/store/index.js';
import {bootId} from '../../src/store/lease-lock.js';
import {startTimeOf} from '../../src/procfs/stat.js';
import {scratchDir, waitFor} from '../helpers/procs.js';

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
};

/** Run `f` with process.env's `vars` set, restoring them after. */
function withEnv<T>(vars: Record<string, string>, f: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return f();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const NO_FLOCK = {CR_FAULT_POINT: 'flock:ENOSYS'};
// The lock's names, as the README gives them.
const lockPathFor = (dir: string, job: string) => path.join(dir, `.cr-lock.${job}`);
const leasePathFor = (dir: string, job: string) => path.join(dir, `.cr-lease.${job}`);

describe('shared checkpoint directories', () => {
  const scratch = scratchDir('cr-shared-');
  let dir: string;
  beforeEach(() => (dir = scratch.path));

  describe('job names', () => {
    it('are taken literally: no two names map to one', () => {
      for (const name of ['a b', 'a_b', 'pbs.12[3].server', 'ü-1', '-x', '.hidden', '0001', 'a-0001.ctx']) {
        expect(jobName(name, 1), name).to.equal(name);
      }
    });

    it('that cannot be part of a file name are refused, naming the flag or variable', () => {
      for (const bad of ['a/b', '', 'a\nb', 'a\0b', 'x'.repeat(101)]) {
        const e = thrown(() => jobName(bad, 1));
        expect(e, JSON.stringify(bad)).to.be.instanceOf(UsageError);
        expect(e.message).to.contain('--job');
      }
      const e = thrown(() => jobName(undefined, 1, {SLURM_JOB_ID: '4/2'}));
      expect(e).to.be.instanceOf(UsageError);
      expect(e.message).to.contain('SLURM_JOB_ID');
      expect(jobName(undefined, 7, {})).to.equal('pid7');
    });

    it('parse back to exactly their job and sequence, whatever digits and dashes they hold', () => {
      const jobs = ['a', 'a-1', 'a-0001', 'a-1-0002', '1', '1-2', '-a', 'a--b', '0001', 'x-0001.ctx', 'a b', 'slurm.42_3'];
      const when = new Date('2026-11-21T07:33:00.123Z');
      for (const [i, job] of jobs.entries()) {
        for (const seq of [1, 12, 9999, 10000]) {
          const name = checkpointName(job, seq, new Date(when.getTime() + i));
          expect(parseName(name), name).to.include({job, sequence: seq});
          fs.writeFileSync(path.join(dir, name), '');
        }
      }
      for (const job of jobs) expect(listCheckpoints(dir, job).map((c) => c.job), job).to.deep.equal([job, job, job, job]);
    });
  });

  describe('temporaries', () => {
    const final = () => path.join(dir, checkpointName('j', 3, new Date('2026-11-21T07:33:00.123Z')));
    const temp = (base: string, host: string, pid: number, start: number) => path.join(dir, `.${base}@${host}.${pid}.${start}.cr-tmp`);

    it('carry the host, the pid and its start time', () => {
      const t = tempPathFor(final());
      expect(path.basename(t)).to.equal(`.${path.basename(final())}@${hostTag()}.${process.pid}.${startTimeOf(process.pid)}.cr-tmp`);
      expect(hostTag('node 1/b@c')).to.equal('node%201%2fb%40c');
    });

    it('are removed only when written on this host by a pid now dead or reused', () => {
      const base = path.basename(final());
      const parent = process.ppid;
      const dead = temp(base, hostTag(), 999_999, 5);
      const reused = temp(base, hostTag(), parent, startTimeOf(parent)! + 1);
      const live = temp(base, hostTag(), parent, startTimeOf(parent)!);
      const otherNode = temp(base, 'other-node.example', 999_999, 5);
      const older = path.join(dir, `.${base}.999999.cr-tmp`); // no host: nothing proves its writer dead
      const otherFile = temp(`${base}x`, hostTag(), 999_999, 5);
      for (const f of [dead, reused, live, otherNode, older, otherFile]) fs.writeFileSync(f, 'x');
      expect(removeStaleTemps(final()).sort()).to.deep.equal([path.basename(dead), path.basename(reused)].sort());
      for (const f of [live, otherNode, older, otherFile]) expect(fs.existsSync(f), path.basename(f)).to.equal(true);
    });

    it('of directory mode: only the locked job\'s own (checkpoints and manifests), with the lock held', () => {
      const mine = temp(checkpointName('a', 2), hostTag(), 999_999, 5);
      const myManifest = temp(`${checkpointName('a', 2)}.json`, hostTag(), 999_999, 5);
      const otherJob = temp(checkpointName('a-1', 2), hostTag(), 999_999, 5);
      const otherNode = temp(checkpointName('a', 3), 'other-node', 999_999, 5);
      for (const f of [mine, myManifest, otherJob, otherNode]) fs.writeFileSync(f, 'x');
      const lock = lockJob(dir, 'a');
      lock.release();
      expect(() => removeStaleJobTemps(lock), 'without the lock').to.throw(/not held/);
      const again = lockJob(dir, 'a');
      try {
        expect(removeStaleJobTemps(again).sort()).to.deep.equal([path.basename(mine), path.basename(myManifest)].sort());
      } finally {
        again.release();
      }
      expect(fs.existsSync(otherJob) && fs.existsSync(otherNode)).to.equal(true);
    });
  });

  describe('the job lock', () => {
    for (const mode of ['flock', 'lease'] as const) {
      it(`(${mode}) refuses a symbolic link at its name and leaves the link's target alone`, () => {
        const target = path.join(dir, 'precious');
        fs.writeFileSync(target, 'keep me\n');
        const link = mode === 'flock' ? lockPathFor(dir, 'j') : leasePathFor(dir, 'j');
        fs.symlinkSync(target, link);
        if (mode === 'lease') fs.writeFileSync(lockPathFor(dir, 'j'), '');
        const e = withEnv(mode === 'lease' ? NO_FLOCK : {}, () => {
          try {
            lockJob(dir, 'j').release();
          } catch (error) {
            return error as Error;
          }
        });
        expect(fs.readFileSync(target, 'utf8'), "the link's target").to.equal('keep me\n');
        expect(e).to.be.instanceOf(CrError);
        expect(e!.message).to.contain(link).and.contain('symbolic link');
        expect((e as CrError).exitCode).to.equal(40);
        expect(fs.readFileSync(target, 'utf8')).to.equal('keep me\n');
        // A dangling link is not followed into a new file either.
        fs.rmSync(target);
        withEnv(mode === 'lease' ? NO_FLOCK : {}, () => expect(() => lockJob(dir, 'j')).to.throw(/symbolic link/));
        expect(fs.existsSync(target)).to.equal(false);
      });
    }

    it('never writes a lock file that has another name (a hard link), but still locks with it', () => {
      const other = path.join(dir, 'other');
      fs.writeFileSync(other, 'keep me\n');
      fs.linkSync(other, lockPathFor(dir, 'j'));
      const lock = lockJob(dir, 'j');
      try {
        expect(fs.readFileSync(other, 'utf8')).to.equal('keep me\n');
        expect(lock.kind).to.equal('flock');
        expect(() => lockJob(dir, 'j')).to.throw(LockBusyError);
      } finally {
        lock.release();
      }
    });

    for (const errno of ['ENOLCK', 'ENOSYS', 'EOPNOTSUPP']) {
      it(`falls back to the lease lock when flock(2) fails with errno ${errno}; a second taker is busy (exit 16); release removes it`, () => {
        withEnv({CR_FAULT_POINT: `flock:${errno}`}, () => {
          const lock = lockJob(dir, 'j');
          expect(lock.kind).to.equal('lease');
          const rec = parseLease(fs.readFileSync(leasePathFor(dir, 'j'), 'utf8'))!;
          expect(rec).to.include({host: hostTag(), pid: process.pid, bootId: bootId(), start: startTimeOf(process.pid)});
          expect(Date.parse(rec.expires)).to.be.greaterThan(Date.now());
          const e = thrown(() => lockJob(dir, 'j'));
          expect(e).to.be.instanceOf(LockBusyError);
          expect((e as CrError).exitCode).to.equal(16);
          expect(e.message).to.contain(`pid ${process.pid} on ${hostTag()}`);
          lock.release();
          expect(fs.existsSync(leasePathFor(dir, 'j'))).to.equal(false);
          lockJob(dir, 'j').release();
        });
      });
    }

    it('any other flock(2) error stays fatal, with its errno', () => {
      const e = withEnv({CR_FAULT_POINT: 'flock:EIO'}, () => thrown(() => lockJob(dir, 'j')));
      expect((e as CrError).exitCode).to.equal(5);
      expect(fs.existsSync(leasePathFor(dir, 'j'))).to.equal(false);
    });

    const forge = (rec: Record<string, unknown>) =>
      fs.writeFileSync(leasePathFor(dir, 'j'), `${JSON.stringify({host: hostTag(), pid: 999_999, bootId: bootId(), start: 1, expires: new Date(Date.now() + 3_600_000).toISOString(), token: 'forged', ...rec})}\n`);

    it('lease: taken over when its holder on this host and boot is dead, or its pid reused', () => {
      withEnv(NO_FLOCK, () => {
        forge({});
        let lock = lockJob(dir, 'j');
        expect(parseLease(fs.readFileSync(leasePathFor(dir, 'j'), 'utf8'))!.pid).to.equal(process.pid);
        lock.release();
        forge({pid: process.ppid, start: startTimeOf(process.ppid)! + 1});
        lock = lockJob(dir, 'j');
        lock.release();
        expect(fs.readdirSync(dir).filter((n) => n.includes('takeover'))).to.deep.equal([]);
      });
    });

    it('lease: another host\'s (or boot\'s) is kept until it expires, then taken over', () => {
      withEnv(NO_FLOCK, () => {
        for (const other of [{host: 'other-node'}, {bootId: '00000000-0000-0000-0000-000000000000'}]) {
          forge({...other, pid: process.ppid});
          expect(() => lockJob(dir, 'j'), JSON.stringify(other)).to.throw(LockBusyError, /pid \d+ on/);
          forge({...other, expires: new Date(Date.now() - 1000).toISOString()});
          lockJob(dir, 'j').release();
        }
        // A lease being written (not yet a record) is busy, not stale.
        fs.writeFileSync(leasePathFor(dir, 'j'), '');
        expect(() => lockJob(dir, 'j')).to.throw(LockBusyError);
      });
    });

    it('lease: renewed while held', async () => {
      const lock = withEnv({...NO_FLOCK, CR_LOCK_LEASE_SEC: '1'}, () => lockJob(dir, 'j'));
      try {
        const read = () => parseLease(fs.readFileSync(leasePathFor(dir, 'j'), 'utf8'))!.expires;
        const first = read();
        await waitFor(() => read() > first, 10_000, 'the lease renewed');
        expect(lock.held()).to.equal(true);
      } finally {
        lock.release();
      }
    });

    it('a flock holder respects a live lease (a node without flock holds the job)', () => {
      const lease = withEnv(NO_FLOCK, () => lockJob(dir, 'j'));
      try {
        expect(() => lockJob(dir, 'j')).to.throw(LockBusyError);
      } finally {
        lease.release();
      }
      lockJob(dir, 'j').release();
    });
  });
});
