// `cr dm guard`: the other end of src/exec/guard.ts. Reads `suspending NAME` / `resumed NAME` /
// `done` lines; when its input ends without `done`, cr has died with devices suspended: resume them
// (newest first) and say so. The command ignores the signals a job's end sends, so only EOF ends it.
import readline from 'node:readline';
import {DmControl} from './client.js';

export interface GuardOutcome {
  /** Devices resumed because cr ended without resuming them. */
  resumed: string[];
  failed: {name: string; error: string}[];
}

/** The part of DmControl the guard uses. */
export interface GuardDevices {
  resume(name: string): Promise<unknown>;
  close(): void;
}

export async function runGuard(
  input: NodeJS.ReadableStream = process.stdin,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  openDevices: () => GuardDevices = () => DmControl.open(),
): Promise<GuardOutcome> {
  const held: string[] = [];
  let done = false;
  for await (const line of readline.createInterface({input, crlfDelay: Infinity})) {
    const [verb, name] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
    if (line === 'done') done = true;
    else if (verb === 'suspending' && name && !held.includes(name)) held.push(name);
    else if (verb === 'resumed' && held.includes(name)) held.splice(held.indexOf(name), 1);
  }
  const outcome: GuardOutcome = {resumed: [], failed: []};
  if (done || held.length === 0) return outcome;
  const dm = openDevices();
  try {
    for (const name of held.reverse()) {
      try {
        await dm.resume(name);
        outcome.resumed.push(name);
        log(`cr dm guard: cr ended while ${name} was suspended; resumed it`);
      } catch (error) {
        outcome.failed.push({name, error: (error as Error).message});
        log(`cr dm guard: cr ended while ${name} was suspended; resume failed: ${(error as Error).message}`);
      }
    }
  } finally {
    dm.close();
  }
  return outcome;
}
