// One signal table and one duration parser: every flag takes signals and durations in the same
// forms because there is only one place that reads them (src/util/signals.ts, src/util/duration.ts).
import {expect} from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import {ROOT} from '../helpers/paths.js';

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), {withFileTypes: true}).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

const all = [...sources('src'), ...sources('commands')];
const text = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('one signal table, one duration parser', () => {
  it('only src/util/signals.ts maps signal names to numbers', () => {
    // os.constants.signals lookups, `SIGTERM: 15` / `'SIGTERM', 15`, `TERM: 15`, `term: 15` tables.
    const table = /os\.constants\.signals|\bSIG[A-Z0-9]+['"]?\s*[:,]\s*-?\d+|\b(?:TERM|KILL|USR1)\s*:\s*\d+|\b(?:term|kill|stop|cont|abort)\s*:\s*-?\d+/;
    expect(all.filter((f) => f !== path.join('src', 'util', 'signals.ts') && table.test(text(f)))).to.deep.equal([]);
  });

  it('only src/util/duration.ts parses durations', () => {
    const parser = /\(ms\|s\|m\|h|\bms\s*:\s*1\s*,\s*s\s*:\s*1000/;
    expect(all.filter((f) => f !== path.join('src', 'util', 'duration.ts') && parser.test(text(f)))).to.deep.equal([]);
  });
});
