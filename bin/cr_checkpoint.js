#!/usr/bin/env node
// cr_checkpoint: BLCR's cr_checkpoint, argv, messages and exit codes included, over cr (one bundle entry built
// by `npm install`; no oclif on this path).
if (Number(process.versions.node.split('.')[0]) < 20) {
  process.stderr.write(`cr_checkpoint needs Node.js 20 or later (this is ${process.versions.node})\n`);
  process.exit(1);
}
const {main} = await import('../dist/bundle/cr_checkpoint.js');
process.exitCode = await main();
