// Parity of the test kernel with the real BLCR module: the scenarios of test/parity/scenarios.txt,
// run by test/kernel/build/parity against the test kernel, must observe exactly what the real
// module did (test/parity/real-blcr.jsonl, recorded by test/parity/record-real.sh and checked
// against a fresh run by the BLCR lane's test/vm/blcr/parity.sh). A step marked "# limit:" is
// one the test kernel cannot reproduce: it must differ (or the mark is stale), and its reason
// must be listed in test/kernel/README.md.
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {ROOT, TESTKERNEL_SO, TK_BUILD} from '../helpers/paths.js';

const HERE = path.join(ROOT, 'test', 'parity');
const LIST = path.join(HERE, 'scenarios.txt');
const RECORD = path.join(HERE, 'real-blcr.jsonl');
const README = path.join(ROOT, 'test', 'kernel', 'README.md');

interface Step { step: string; limit?: string; [k: string]: unknown }
interface Observed { scenario: string; steps: Step[] }

/** The scenarios of the list, in order, with their step lines (as the probe echoes them). */
function listed(): {name: string; steps: string[]; needsRoot: boolean}[] {
  const out: {name: string; steps: string[]; needsRoot: boolean}[] = [];
  let cur: {name: string; steps: string[]; needsRoot: boolean} | null = null;
  for (const raw of fs.readFileSync(LIST, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('scenario ')) {
      cur = {name: line.slice(9), steps: [], needsRoot: false};
      out.push(cur);
    } else if (line === 'end') {
      cur = null;
    } else if (cur !== null) {
      const step = line.split(' # limit: ')[0];
      cur.steps.push(step);
      // Switching users (requesters, targets) needs root.
      if (/^inchild as=|^target .* ids=/.test(step)) cur.needsRoot = true;
    }
  }
  return out;
}

function parseLines(text: string): Map<string, Observed> {
  const m = new Map<string, Observed>();
  for (const l of text.split('\n')) {
    if (l.trim() === '') continue;
    const o = JSON.parse(l) as Observed;
    m.set(o.scenario, o);
  }
  return m;
}

const without = (s: Step): Record<string, unknown> => Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'step' && k !== 'limit'));

/** Run the probe over the named scenarios against the test kernel. */
function runProbe(names: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-parity-'));
  const tkDir = path.join(base, 'tk');
  const tmp = path.join(base, 'scratch');
  fs.mkdirSync(tkDir);
  fs.mkdirSync(tmp);
  // Shared with the other users of the permission scenarios.
  fs.chmodSync(base, 0o755);
  fs.chmodSync(tkDir, 0o1777);
  fs.chmodSync(tmp, 0o755);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LD_PRELOAD: TESTKERNEL_SO,
    CR_TESTKERNEL_DIR: tkDir,
    PARITY_RUN: path.join(TK_BUILD, 'libcr_run.so.0'),
    PARITY_OMIT: path.join(TK_BUILD, 'libcr_omit.so.0'),
    PARITY_KMSG: path.join(tkDir, 'kmsg'),
    PARITY_TMP: tmp,
  };
  for (const k of ['CR_TESTKERNEL_RATE', 'CR_TESTKERNEL_IMAGE_SIZE', 'CR_TESTKERNEL_FAIL', 'CR_TESTKERNEL_VERSION']) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(TK_BUILD, 'parity'), [LIST, ...names], {env, stdio: ['ignore', 'pipe', 'pipe']});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      fs.rmSync(base, {recursive: true, force: true});
      resolve({code, stdout, stderr});
    });
  });
}

describe('test kernel parity with the real BLCR module (test/parity)', function () {
  const scenarios = listed();
  const root = process.getuid !== undefined && process.getuid() === 0;
  const record = parseLines(fs.readFileSync(RECORD, 'utf8'));
  let observed = new Map<string, Observed>();
  let probeFailure = '';

  before(async function () {
    this.timeout(240_000);
    const names = scenarios.filter((s) => root || !s.needsRoot).map((s) => s.name);
    const r = await runProbe(names);
    if (r.code !== 0) probeFailure = `parity probe exited ${r.code}: ${r.stderr}`;
    observed = parseLines(r.stdout);
  });

  it('the record covers the list exactly: the same scenarios, in order, the same steps', function () {
    expect([...record.keys()]).to.deep.equal(scenarios.map((s) => s.name));
    for (const s of scenarios) expect(record.get(s.name)!.steps.map((x) => x.step), s.name).to.deep.equal(s.steps);
  });

  it('every limit is named, with its reason, in test/kernel/README.md', function () {
    const readme = fs.readFileSync(README, 'utf8');
    const reasons = new Set<string>();
    for (const o of record.values()) for (const s of o.steps) if (s.limit !== undefined) reasons.add(s.limit);
    expect(reasons.size, 'limits in the record').to.be.greaterThan(0);
    for (const r of reasons) expect(readme, `README names "${r}"`).to.include(r);
  });

  for (const s of scenarios) {
    it(`${s.name}${s.needsRoot ? ' (needs root to switch users)' : ''}`, function () {
      if (s.needsRoot && !root) this.skip(); // the scenario's requester or target changes uid
      expect(probeFailure).to.equal('');
      const real = record.get(s.name);
      const tk = observed.get(s.name);
      expect(real, 'in the record').to.not.equal(undefined);
      expect(tk, 'observed on the test kernel').to.not.equal(undefined);
      expect(tk!.steps.map((x) => x.step)).to.deep.equal(real!.steps.map((x) => x.step));
      real!.steps.forEach((want, i) => {
        const got = tk!.steps[i];
        if (want.limit !== undefined) {
          // A limit that no longer differs is stale: drop its mark (and its README entry).
          expect(without(got), `step ${i + 1} "${want.step}" is marked a limit (${want.limit}) but matches`).to.not.deep.equal(without(want));
        } else {
          expect(without(got), `step ${i + 1} "${want.step}"`).to.deep.equal(without(want));
        }
      });
    });
  }
});
