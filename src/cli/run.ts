// Entry used by bin/cr.js: run oclif, then flush and exit with the command's status.
import {execute} from '@oclif/core';

/** Run the CLI with `argv`; `binUrl` is bin/cr.js's import.meta.url (oclif finds package.json from it). */
export async function main(binUrl: string): Promise<void> {
  await execute({dir: binUrl});
}
