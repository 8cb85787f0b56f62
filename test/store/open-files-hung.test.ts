// Preflight's look at the targets' files on a hung mount: a real one, a FUSE mount whose server
// never answers (test/helpers/hung-fuse.py), where stat(2) blocks in the kernel as on a hung NFS
// server. The scan runs in a child process so that a scan that hangs (as before: a synchronous stat)
// fails this test instead of hanging the suite.
import {expect} from 'chai';
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {scaled} from '../helpers/kernel.js';
import {ROOT} from '../helpers/paths.js';
import os from 'node:os';

const canMount = process.getuid?.() === 0 && fs.existsSync('/dev/fuse') && spawnSync('python3', ['--version'], {stdio: 'ignore'}).status === 0;
const HUNG_FUSE = path.join(ROOT, 'test', 'helpers', 'hung-fuse.py');
const OPEN_FILES = pathToFileURL(path.join(ROOT, 'dist', 'src', 'store', 'open-files.js')).href;

const SCAN = `
const {openFilesOf} = await import(${JSON.stringify(OPEN_FILES)});
let ticks = 0;
const tick = setInterval(() => ticks++, 20);
const r = await openFilesOf([Number(process.argv[1])], 500);
clearInterval(tick);
console.log(JSON.stringify({...r, ticks}));
process.exit(0);
`;

describe('preflight on a hung mount (a FUSE server that never answers)', function () {
  this.timeout(scaled(30_000));
  let holder: ChildProcess | undefined;
  let mnt: string | undefined;

  afterEach(() => {
    holder?.kill('SIGKILL');
    holder = undefined;
    // Unmounted before anything looks at the directory (a stat there would hang).
    if (mnt) {
      spawnSync('umount', ['-l', mnt]);
      fs.rmSync(path.dirname(mnt), {recursive: true, force: true});
    }
    mnt = undefined;
  });

  const title = 'the stat of a target\'s file on the mount is bounded: the scan ends, the event loop turns, the file is named as not looked at';
  (canMount ? it : it.skip)(canMount ? title : `${title} (needs root, /dev/fuse and python3 to make a hung mount: not here)`, async function () {
    mnt = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cr-hung-')), 'mnt');
    fs.mkdirSync(mnt);
    holder = spawn('python3', [HUNG_FUSE, mnt], {stdio: ['ignore', 'pipe', 'inherit']});
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      holder!.stdout!.on('data', (d) => {
        out += d;
        const m = /ready (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      holder!.once('close', (code) => reject(new Error(`hung-fuse.py ended (${code}) before the mount was ready`)));
    });
    const scan = spawn(process.execPath, ['--input-type=module', '-e', SCAN, String(pid)], {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    scan.stdout.on('data', (d) => (out += d));
    // A scan that blocks in stat never ends by itself: fail the test rather than hang the suite.
    const killer = setTimeout(() => scan.kill('SIGKILL'), scaled(15_000));
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => scan.once('close', (c, s) => r([c, s])));
    clearTimeout(killer);
    expect([code, signal], 'the scan ended by itself').to.deep.equal([0, null]);
    const r = JSON.parse(out);
    expect(r.unstatted).to.have.length(1);
    expect(r.unstatted[0]).to.match(new RegExp(`^${mnt}: no answer to stat\\(2\\) within 500 ms`));
    expect(r.files.find((f: {path: string}) => f.path === mnt)).to.include({size: null, inode: null});
    expect(r.files.some((f: {use: string; size: number | null}) => f.use === 'exe' && f.size !== null), 'the other files are looked at').to.equal(true);
    expect(r.ticks, 'the event loop kept turning').to.be.greaterThan(5);
  });
});
