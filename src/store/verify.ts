// Is a published checkpoint complete and intact? Header framing (spec §6), manifest, size, checksum.
import fs from 'node:fs';
import path from 'node:path';
import {sha256File} from './checksum.js';
import {ContextFileError, readContextHeader} from './context-header.js';
import {type Manifest, manifestPathFor, readManifest} from './manifest.js';
import {listCheckpoints} from './naming.js';
import {crashPoint} from '../util/crash-point.js';

export interface VerifyReport {
  file: string;
  ok: boolean;
  /** Why it is not good, one reason a line; empty when ok. */
  problems: string[];
  size: number | null;
  manifest?: Manifest;
}

/** Verify one checkpoint. `checksum: false` skips the SHA-256 (for a quick listing). */
export async function verifyCheckpoint(file: string, opts: {checksum?: boolean} = {}): Promise<VerifyReport> {
  const problems: string[] = [];
  let size: number | null = null;
  try {
    size = readContextHeader(file).size;
  } catch (error) {
    problems.push(error instanceof ContextFileError ? error.reason : (error as Error).message);
    try {
      size = fs.statSync(file).size;
    } catch {
      size = null;
    }
  }
  let manifest: Manifest | undefined;
  try {
    manifest = readManifest(file);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (manifest && size !== null) {
    if (manifest.context.file !== path.basename(file)) problems.push(`manifest describes ${manifest.context.file}, not ${path.basename(file)}`);
    if (manifest.context.size !== size) problems.push(`size is ${size} bytes, the manifest says ${manifest.context.size}`);
    else if (opts.checksum !== false) {
      const {sha256} = await sha256File(file);
      if (sha256 !== manifest.context.sha256) problems.push(`checksum mismatch: sha256 ${sha256}, the manifest says ${manifest.context.sha256}`);
    }
  }
  return {file, ok: problems.length === 0, problems, size, manifest};
}

/** Verify a file, or every checkpoint of a directory (oldest first). */
export async function verifyPath(target: string, opts: {checksum?: boolean} = {}): Promise<VerifyReport[]> {
  const st = fs.statSync(target);
  if (!st.isDirectory()) return [await verifyCheckpoint(target, opts)];
  const reports: VerifyReport[] = [];
  for (const c of listCheckpoints(target)) reports.push(await verifyCheckpoint(c.file, opts));
  return reports;
}

/** Remove all but the newest `keep` checkpoints of `job` in `dir` (manifest first, so a crash halfway
 *  leaves an incomplete checkpoint, never a manifest without its file). Returns the removed names. */
export function applyRetention(dir: string, job: string, keep: number): string[] {
  const all = listCheckpoints(dir, job);
  const removed: string[] = [];
  for (const c of all.slice(0, Math.max(0, all.length - keep))) {
    fs.rmSync(manifestPathFor(c.file), {force: true});
    crashPoint('retention-between');
    fs.rmSync(c.file, {force: true});
    removed.push(c.name);
  }
  return removed;
}

/** Remove the job's checkpoints that have no manifest file: with the job lock held, no other cr is
 *  between publishing a file and its manifest, so these are what a crash left. Returns their names. */
export function removeIncomplete(dir: string, job: string): string[] {
  const removed: string[] = [];
  for (const c of listCheckpoints(dir, job)) {
    if (fs.existsSync(manifestPathFor(c.file))) continue;
    fs.rmSync(c.file, {force: true});
    removed.push(c.name);
  }
  return removed;
}
