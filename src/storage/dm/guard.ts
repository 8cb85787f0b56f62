// `cr dm guard`: the other end of src/exec/guard.ts. Reads `holding PID...` / `suspending NAME` /
// `resumed NAME` / `done` lines; when its input ends without `done`, cr has died: resume the devices
// still suspended (newest first), then continue the held processes, and say so. The command ignores the signals a job's end sends, so only EOF ends it.
import readline from 'node:readline';
import {DmControl} from './client.js';
import {type ErrorBody, errorBody} from '../../errors/index.js';

export interface GuardOutcome {
  /** Devices resumed because cr ended without resuming them. */
  resumed: string[];
  /** Held processes sent SIGCONT. */
  continued: number[];
  /** Devices that could not be resumed, with the error (as every --json error is given). */
  failed: {name: string; error: ErrorBody}[];
}

/** The part of DmControl the guard uses. */
export interface GuardDevices {
  resume(name: string): Promise<unknown>;
  close(): void;
}

const continueProcess = (pid: number): boolean => {
  try {
    process.kill(pid, 'SIGCONT');
    return true;
  } catch {
    return false; // gone already
  }
};

export async function runGuard(
  input: NodeJS.ReadableStream = process.stdin,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  openDevices: () => GuardDevices = () => DmControl.open(),
  continueOne: (pid: number) => boolean = continueProcess,
): Promise<GuardOutcome> {
  const held: string[] = [];
  const pids: number[] = [];
  let done = false;
  for await (const line of readline.createInterface({input, crlfDelay: Infinity})) {
    const [verb, name] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (line === 'done') done = true;
    else if (verb === 'holding') pids.push(...name.split(' ').map(Number).filter((n) => Number.isInteger(n) && n > 0));
    else if (verb === 'suspending' && name && !held.includes(name)) held.push(name);
    else if (verb === 'resumed' && held.includes(name)) held.splice(held.indexOf(name), 1);
  }
  const outcome: GuardOutcome = {resumed: [], continued: [], failed: []};
  if (done) return outcome;
  if (held.length > 0) await resumeAll(held.reverse(), openDevices, outcome, log);
  for (const pid of pids) if (continueOne(pid)) outcome.continued.push(pid);
  if (outcome.continued.length > 0) log(`cr dm guard: cr ended while holding ${outcome.continued.join(' ')} stopped; continued them`);
  return outcome;
}

async function resumeAll(names: string[], openDevices: () => GuardDevices, outcome: GuardOutcome, log: (line: string) => void): Promise<void> {
  let dm: GuardDevices;
  try {
    dm = openDevices();
  } catch (error) {
    for (const name of names) outcome.failed.push({name, error: errorBody(error as Error)});
    log(`cr dm guard: cr ended while ${names.join(' ')} were suspended; cannot resume them: ${(error as Error).message}`);
    return;
  }
  try {
    for (const name of names) {
      try {
        await dm.resume(name);
        outcome.resumed.push(name);
        log(`cr dm guard: cr ended while ${name} was suspended; resumed it`);
      } catch (error) {
        outcome.failed.push({name, error: errorBody(error as Error)});
        log(`cr dm guard: cr ended while ${name} was suspended; resume failed: ${(error as Error).message}`);
      }
    }
  } finally {
    dm.close();
  }
}
