// `cr scheduler print`: the templates filled in with this installation's paths, printed or written.
import fs from 'node:fs';
import path from 'node:path';
import {UsageError} from '../errors/index.js';
import {SCHEDULERS, TEMPLATES} from './templates.js';

export interface RenderedFile {
  name: string;
  /** Octal mode: 0755 for scripts, 0644 for configuration. */
  mode: number;
  text: string;
}

export interface RenderPaths {
  /** The cr command as scripts should run it. */
  cr: string;
  /** Where the files will be installed (absolute). */
  prefix: string;
}

/** The scheduler a name (or alias) means. */
export function schedulerName(name: string): string {
  const n = name.toLowerCase() === 'pbs' ? 'torque' : name.toLowerCase();
  if (!SCHEDULERS.includes(n)) throw new UsageError(`Expected SCHEDULER to be one of ${SCHEDULERS.join(', ')} (pbs = torque), got \`${name}\``);
  return n;
}

/** A word safe in sh as it is, else single-quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The installation's own cr: the real path of the script that started this process. */
export function installedCr(): string {
  return fs.realpathSync(process.argv[1]);
}

/** Fill in one scheduler's templates. */
export function renderScheduler(name: string, paths: RenderPaths): RenderedFile[] {
  if (!path.isAbsolute(paths.prefix)) throw new UsageError(`Expected --prefix to be an absolute directory, got \`${paths.prefix}\``);
  if (paths.cr === '') throw new UsageError('Expected --cr to be a command, got an empty string');
  return TEMPLATES[schedulerName(name)].map((t) => ({
    name: t.name,
    mode: t.executable ? 0o755 : 0o644,
    text: t.text.replaceAll('@CR@', shellWord(paths.cr)).replaceAll('@PREFIX@', paths.prefix),
  }));
}

/** Write rendered files into `dir` (created if missing), each atomically with its mode. */
export function writeRendered(dir: string, files: RenderedFile[]): string[] {
  fs.mkdirSync(dir, {recursive: true});
  return files.map((f) => {
    const dest = path.join(dir, f.name);
    const tmp = path.join(dir, `.${f.name}.tmp`);
    fs.writeFileSync(tmp, f.text, {mode: f.mode});
    fs.chmodSync(tmp, f.mode);
    fs.renameSync(tmp, dest);
    return dest;
  });
}
