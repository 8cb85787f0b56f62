#!/usr/bin/env node
// cr: checkpoint/restart for batch jobs. The whole CLI is one bundle built by `npm install`.
// oclif's own engine check loads semver at every start (and cannot find its package.json inside
// the bundle); the check is done here instead, for the cost of a split.
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
if (Number(process.versions.node.split('.')[0]) < 20) {
  process.stderr.write(`cr needs Node.js 20 or later (this is ${process.versions.node})\n`);
  process.exit(1);
}
const {main} = await import('../dist/bundle/cr.js');
await main(import.meta.url);
