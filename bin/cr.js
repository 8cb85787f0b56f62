#!/usr/bin/env node
// cr: checkpoint/restart for batch jobs. The whole CLI is one bundle built by `npm install`.
import {main} from '../dist/bundle/cr.js';

await main(import.meta.url);
