// `cr dm wait --timeout` ends the process at expiry. The real DEV_WAIT blocks a worker thread in
// the kernel until an event, and Node joins its worker threads at exit: a DEV_WAIT still blocked
// at expiry kept cr from exiting after it printed the timeout. Here the fake device-mapper's
// DEV_WAIT blocks a koffi worker thread the same way (poll(2) on a FIFO nobody writes), in a
// child process that exits as cr's commands do (process.exit with the error's status).
import {expect} from 'chai';
import {spawn} from 'node:child_process';
import path from 'node:path';
import {pathToFileURL} from 'node:url';
import {scaled} from '../helpers/kernel.js';
import {ROOT} from '../helpers/paths.js';
import {scratchDir} from '../helpers/procs.js';

const dist = (p: string) => pathToFileURL(path.join(ROOT, 'dist', p)).href;

const CHILD = `
import fs from 'node:fs';
import {execFileSync} from 'node:child_process';
const {dmWait} = await import(${JSON.stringify(dist('src/pipeline/dm.js'))});
const {DmControl} = await import(${JSON.stringify(dist('src/storage/dm/client.js'))});
const {FakeDm} = await import(${JSON.stringify(dist('test/helpers/fake-dm.js'))});
const {pollOne} = await import(${JSON.stringify(dist('src/abi/libc.js'))});
const fifo = process.argv[1];
execFileSync('mkfifo', [fifo]);
const never = fs.openSync(fifo, 'r+');
const fake = new FakeDm([{name: 'vg-mirror', major: 253, minor: 4, eventNr: 3, targets: []}]);
const ioctl = async (fd, request, buf) => {
  if ((request & 0xff) === 8) await pollOne(never, 1, -1);
  return fake.ioctl(fd, request, buf);
};
try {
  await dmWait('vg-mirror', {timeout: '300ms'}, {control: DmControl.withIoctl(ioctl)});
  console.log('no timeout');
  process.exit(0);
} catch (error) {
  console.log(error.message);
  process.exit(error.exitCode);
}
`;

describe('cr dm wait --timeout: the bounded wait ends', function () {
  this.timeout(scaled(20_000));
  const scratch = scratchDir('cr-dmwait-');

  it('exits 62 (ETIME) at expiry even though DEV_WAIT would block a worker thread', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, path.join(scratch.path, 'never')], {stdio: ['ignore', 'pipe', 'inherit']});
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // Bounded so that a hang fails this test (and does not hang the suite): 10 s for a 300 ms wait.
    const killer = setTimeout(() => child.kill('SIGKILL'), scaled(10_000));
    const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once('close', (c, s) => r([c, s])));
    clearTimeout(killer);
    expect(out).to.contain('cr dm wait: no event on vg-mirror within 300ms (event number still 3)');
    expect([code, signal], 'exited by itself with ETIME').to.deep.equal([62, null]);
  });
});
