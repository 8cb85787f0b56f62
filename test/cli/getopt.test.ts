// getopt_long as glibc documents it (getopt(3)): the expectations are glibc's rules, checked
// against a C program calling the real getopt_long where the machine has a compiler.
import {expect} from 'chai';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {Getopt, type LongOption, readInt} from '../../src/cli/getopt.js';

const LONG: LongOption[] = [
  {name: 'file', hasArg: 1, val: 'f'},
  {name: 'pid', hasArg: 0, val: 'p'},
  {name: 'process', hasArg: 0, val: 'p'},
  {name: 'pgid', hasArg: 0, val: 'g'},
  {name: 'backup', hasArg: 2, val: 'backup'},
  {name: 'verbose', hasArg: 0, val: 'v'},
  {name: 'version', hasArg: 0, val: 'version'},
];
const SHORT = 'f:pgvt::';

/** Every event as `opt` or `opt=arg` or `?optopt`, then `| operands`. */
function trace(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const g = new Getopt(args, SHORT, LONG, env);
  const out: string[] = [];
  for (let e = g.next(); e; e = g.next()) {
    if (e.opt === '?') out.push(`?${'optopt' in e ? e.optopt : ''}`);
    else out.push('arg' in e && e.arg !== undefined ? `${e.opt}=${e.arg}` : e.opt);
    if (e.opt === '?') return `${out.join(' ')} | `;
  }
  return `${out.join(' ')} | ${g.operands.join(' ')}`;
}

const CASES: Array<[string[], string]> = [
  [['-p', '-g'], 'p g | '],
  [['-pg'], 'p g | '],
  [['-fX'], 'f=X | '],
  [['-f', 'X'], 'f=X | '],
  [['-pfX', 'a'], 'p f=X | a'],
  [['-f', '--pid'], 'f=--pid | '],
  [['-f', '--'], 'f=-- | '],
  [['--file=a=b'], 'f=a=b | '],
  [['--file', 'x'], 'f=x | '],
  [['--file='], 'f= | '],
  [['--fi', 'x'], 'f=x | '],
  [['--pro'], 'p | '],
  [['--pi'], 'p | '],
  [['--p'], '? | '],
  [['--pg'], 'g | '],
  [['--ver'], '? | '],
  [['--vers'], 'version | '],
  [['--verb'], 'v | '],
  [['--backup'], 'backup | '],
  [['--backup=N'], 'backup=N | '],
  [['--backup', 'N'], 'backup | N'],
  [['--pid=1'], '?p | '],
  [['--nope'], '? | '],
  [['--=x'], '? | '],
  [['-x'], '?x | '],
  [['-?'], '?? | '],
  [['-f'], '?f | '],
  [['--file'], '?f | '],
  [['-t'], 't | '],
  [['-t5'], 't=5 | '],
  [['-t', '5'], 't | 5'],
  [['a', '-p', 'b', '-g'], 'p g | a b'],
  [['a', '--', '-p'], ' | a -p'],
  [['-p', '--', '--', 'x'], 'p | -- x'],
  [['-', '-p'], 'p | -'],
  [['a', 'b'], ' | a b'],
];

describe('getopt_long emulation', () => {
  it('follows glibc: clusters, attached and separate arguments, =, abbreviations, optional arguments, errors, permutation, --', () => {
    for (const [args, want] of CASES) expect(trace(args), args.join(' ')).to.equal(want);
  });

  it('with POSIXLY_CORRECT set, the first operand ends the options', () => {
    expect(trace(['a', '-p'], {POSIXLY_CORRECT: ''})).to.equal(' | a -p');
    expect(trace(['-p', 'a', '--', '-g'], {POSIXLY_CORRECT: '1'})).to.equal('p | a -- -g');
  });

  it('gives what the real getopt_long gives for every case (C program, when cc is here)', function () {
    let cc: string | undefined;
    for (const c of ['cc', 'gcc']) {
      try {
        execFileSync(c, ['--version'], {stdio: 'ignore'});
        cc = c;
        break;
      } catch {
        // not this one
      }
    }
    if (!cc) this.skip(); // no C compiler on this machine: the table above still holds
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-getopt-'));
    try {
      const src = path.join(dir, 'g.c');
      const longs = LONG.map((o, i) => `{"${o.name}", ${o.hasArg}, 0, ${o.val.length === 1 ? `'${o.val}'` : 1000 + i}}`).join(', ');
      fs.writeFileSync(
        src,
        `#include <getopt.h>
#include <stdio.h>
struct option lo[] = {${longs}, {0, 0, 0, 0}};
static void show(int c) {
  if (c >= 1000) printf("%s", lo[c - 1000].name); else printf("%c", c);
}
int main(int argc, char **argv) {
  const char *sep = ""; int c;
  opterr = 0;
  while ((c = getopt_long(argc, argv, "${SHORT}", lo, NULL)) != -1) {
    printf("%s", sep);
    if (c == '?') { printf("?"); if (optopt) show(optopt); printf(" | \\n"); return 0; }
    show(c);
    if (optarg) printf("=%s", optarg);
    sep = " ";
  }
  printf(" | ");
  for (int i = optind; i < argc; i++) printf("%s%s", i > optind ? " " : "", argv[i]);
  printf("\\n");
  return 0;
}
`,
      );
      execFileSync(cc!, ['-o', path.join(dir, 'g'), src]);
      for (const [args] of CASES) {
        const real = execFileSync(path.join(dir, 'g'), args, {env: {}, encoding: 'utf8'}).trim();
        expect(trace(args).trim(), args.join(' ')).to.equal(real);
      }
    } finally {
      fs.rmSync(dir, {recursive: true, force: true});
    }
  });

  it('reads ints as (int)strtol(s, &end, 10) with the whole string used', () => {
    const cases: Array<[string, number | undefined]> = [
      ['12', 12], [' 12', 12], ['\t-3', -3], ['+7', 7], ['007', 7],
      ['', undefined], [' ', undefined], ['12 ', undefined], ['0x10', undefined], ['-', undefined], ['1e3', undefined], ['١٢', undefined],
      ['4294967297', 1], ['2147483648', -2147483648], ['99999999999999999999', -1], ['-99999999999999999999', 0],
    ];
    for (const [s, want] of cases) expect(readInt(s), JSON.stringify(s)).to.equal(want);
  });
});
