// `cr scheduler print`: the templates filled in; examples/ is exactly their rendering (they never drift).
import {expect} from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {SCHEDULERS} from '../../src/schedulers/templates.js';
import {CR_BIN, ROOT} from '../helpers/paths.js';
import {runCr} from '../helpers/procs.js';

describe('cr scheduler print', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-print-'))));
  afterEach(() => fs.rmSync(tmp, {recursive: true, force: true}));

  it('examples/<scheduler>/ is the rendering with cr on PATH and /usr/local/libexec/cr/<scheduler>, modes included', async () => {
    expect(fs.readdirSync(path.join(ROOT, 'examples')).sort()).to.deep.equal([...SCHEDULERS].sort());
    for (const s of SCHEDULERS) {
      const out = path.join(tmp, s);
      const r = await runCr(['scheduler', 'print', s, '--cr', 'cr', '--prefix', `/usr/local/libexec/cr/${s}`, '--out', out], {kernel: false});
      expect(r.code, r.stderr).to.equal(0);
      const ex = path.join(ROOT, 'examples', s);
      expect(fs.readdirSync(out).sort(), s).to.deep.equal(fs.readdirSync(ex).sort());
      for (const f of fs.readdirSync(ex)) {
        expect(fs.readFileSync(path.join(out, f), 'utf8'), `${s}/${f}`).to.equal(fs.readFileSync(path.join(ex, f), 'utf8'));
        expect(fs.statSync(path.join(out, f)).mode & 0o777, `${s}/${f} mode`).to.equal(fs.statSync(path.join(ex, f)).mode & 0o777);
      }
    }
  });

  it('fills in this installation: cr, and --out as the prefix; prints every file after its name', async () => {
    const r = await runCr(['scheduler', 'print', 'torque'], {kernel: false});
    expect(r.code, r.stderr).to.equal(0);
    const real = fs.realpathSync(CR_BIN);
    expect(r.stdout).to.contain(`==> cr-checkpoint <==\n#!/bin/sh\n`);
    expect(r.stdout).to.contain(`exec ${real} torque checkpoint -- "$@"`);
    expect(r.stdout).to.contain('$checkpoint_script /usr/local/libexec/cr/torque/cr-checkpoint');
    const w = await runCr(['scheduler', 'print', 'pbs', '--out', tmp], {kernel: false});
    expect(w.code, w.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(tmp, 'torque-mom_priv-config'), 'utf8')).to.contain(`$restart_script ${tmp}/cr-restart`);
    // Every script a configuration names is among the files.
    for (const s of SCHEDULERS) {
      const d = path.join(tmp, `all-${s}`);
      expect((await runCr(['scheduler', 'print', s, '--out', d], {kernel: false})).code).to.equal(0);
      for (const f of fs.readdirSync(d)) {
        for (const m of fs.readFileSync(path.join(d, f), 'utf8').matchAll(new RegExp(`${d}/([\\w.-]+)`, 'g'))) expect(fs.existsSync(path.join(d, m[1])), `${s}/${f} names ${m[1]}`).to.equal(true);
      }
    }
    const json = await runCr(['scheduler', 'print', 'sge', '--json', '--cr', '/opt/cr/bin/cr'], {kernel: false});
    const doc = JSON.parse(json.stdout);
    expect(doc.scheduler).to.equal('sge');
    expect(doc.files.find((f: {name: string}) => f.name === 'cr.ckpt').text).to.contain('ckpt_command       /opt/cr/bin/cr sge checkpoint');
  });

  it('refuses an unknown scheduler and a relative --prefix (255)', async () => {
    const bad = await runCr(['scheduler', 'print', 'condor'], {kernel: false});
    expect(bad.code).to.equal(255);
    expect(bad.stderr).to.contain('Expected SCHEDULER to be one of slurm, torque, lsf, sge (pbs = torque), got `condor`');
    const rel = await runCr(['scheduler', 'print', 'slurm', '--prefix', 'x'], {kernel: false});
    expect(rel.code).to.equal(255);
  });
});
