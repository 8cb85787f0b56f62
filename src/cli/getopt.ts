// GNU getopt_long, as BLCR's tools call it (opterr = 0): short-option clusters, `-fVALUE` and
// `-f VALUE`, long options with `=`, unique abbreviations of long names, `--` ending the options,
// and the argument permutation glibc does unless POSIXLY_CORRECT is set (then the first operand
// ends the options). Written from glibc's documented behaviour (getopt(3)); it parses only, the
// caller acts on each option in order, as a C loop around getopt_long does.

/** no_argument, required_argument, optional_argument. */
export type HasArg = 0 | 1 | 2;

/** One `struct option`: `val` is what getopt_long returns for it (a letter or a name). */
export interface LongOption {
  name: string;
  hasArg: HasArg;
  val: string;
}

/** An option found, or `?` with `optopt`: the letter, the long option's `val` (argument
 *  missing or not allowed), or '' for an unknown or ambiguous long option (glibc's optopt 0). */
export type GetoptEvent = {opt: string; arg?: string} | {opt: '?'; optopt: string};

const isNonOption = (a: string) => a[0] !== '-' || a.length === 1;

/** getopt_long over `args` (argv without argv[0]). Call next() until it returns undefined, then
 *  read `operands` (what is left at argv[optind..] after glibc's permutation). */
export class Getopt {
  /** The operands, in order, once next() has returned undefined. */
  operands: string[] = [];
  private i = 0;
  private cluster = '';
  private done = false;
  private readonly skipped: string[] = [];
  private readonly permute: boolean;
  private readonly shortopts: string;

  /** `shortopts` as getopt's optstring; a leading '+' (REQUIRE_ORDER) is understood. */
  constructor(
    private readonly args: readonly string[],
    shortopts: string,
    private readonly longopts: readonly LongOption[],
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.permute = !shortopts.startsWith('+') && env.POSIXLY_CORRECT === undefined;
    this.shortopts = shortopts.replace(/^\+/, '');
  }

  /** The next option, or undefined when the options are over. */
  next(): GetoptEvent | undefined {
    if (this.done) return undefined;
    if (this.cluster === '') {
      const {args} = this;
      if (this.permute) while (this.i < args.length && isNonOption(args[this.i])) this.skipped.push(args[this.i++]);
      if (this.i < args.length && args[this.i] === '--') return this.finish(args.slice(this.i + 1));
      if (this.i >= args.length) return this.finish([]);
      // Only without permutation: the first operand ends the options.
      if (isNonOption(args[this.i])) return this.finish(args.slice(this.i));
      if (args[this.i][1] === '-') return this.long(args[this.i].slice(2));
      this.cluster = args[this.i].slice(1);
    }
    return this.short();
  }

  private finish(tail: readonly string[]): undefined {
    this.operands = [...this.skipped, ...tail];
    this.done = true;
    return undefined;
  }

  private short(): GetoptEvent {
    const c = this.cluster[0];
    this.cluster = this.cluster.slice(1);
    // glibc moves to the next argv element as it starts on the cluster's last character.
    if (this.cluster === '') this.i++;
    const at = this.shortopts.indexOf(c);
    if (at < 0 || c === ':' || c === ';') return {opt: '?', optopt: c};
    if (this.shortopts[at + 1] !== ':') return {opt: c};
    if (this.shortopts[at + 2] === ':') {
      const arg = this.cluster === '' ? undefined : this.cluster;
      if (arg !== undefined) this.i++;
      this.cluster = '';
      return arg === undefined ? {opt: c} : {opt: c, arg};
    }
    let arg: string;
    if (this.cluster !== '') {
      arg = this.cluster;
      this.i++;
    } else if (this.i >= this.args.length) {
      return {opt: '?', optopt: c};
    } else {
      arg = this.args[this.i++];
    }
    this.cluster = '';
    return {opt: c, arg};
  }

  private long(text: string): GetoptEvent {
    const eq = text.indexOf('=');
    const name = eq < 0 ? text : text.slice(0, eq);
    this.i++;
    let found = this.longopts.find((o) => o.name === name);
    if (!found) {
      // A unique abbreviation; candidates that all mean the same option are not ambiguous.
      const candidates = this.longopts.filter((o) => o.name.startsWith(name));
      if (candidates.length === 0 || candidates.some((o) => o.hasArg !== candidates[0].hasArg || o.val !== candidates[0].val)) {
        return {opt: '?', optopt: ''};
      }
      found = candidates[0];
    }
    if (eq >= 0) {
      if (found.hasArg === 0) return {opt: '?', optopt: found.val};
      return {opt: found.val, arg: text.slice(eq + 1)};
    }
    if (found.hasArg === 1) {
      if (this.i >= this.args.length) return {opt: '?', optopt: found.val};
      return {opt: found.val, arg: this.args[this.i++]};
    }
    return {opt: found.val};
  }
}

const LONG_MAX = (1n << 63n) - 1n;
const LONG_MIN = -(1n << 63n);

/** BLCR's readint(): `(int)strtol(s, &end, 10)` accepted only when s is not empty and all of it
 *  was read (leading white space and a sign allowed; out of range saturates, then truncates to
 *  int as C does). undefined where the tools print their usage. */
export function readInt(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (!m) return undefined;
  let v = BigInt(m[1]);
  if (v > LONG_MAX) v = LONG_MAX;
  if (v < LONG_MIN) v = LONG_MIN;
  return Number(BigInt.asIntN(32, v));
}
