// The sidecar manifest of a published checkpoint: versioned JSON, validated by zod, written
// atomically after the context file, so a checkpoint without a valid manifest is never complete.
import fs from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import {fsyncDirectory} from './publish.js';
import {faultPoint} from '../util/crash-point.js';
import {tempPathFor} from './temp-files.js';

export const MANIFEST_FORMAT = 'cr-checkpoint-manifest';
export const MANIFEST_VERSION = 1;

const OpenFileSchema = z.object({
  pid: z.int(),
  /** 'fd N' for an open descriptor, 'map' for a mapped file, 'exe', 'cwd'. */
  use: z.string(),
  path: z.string(),
  size: z.nullable(z.number()),
  mtimeMs: z.nullable(z.number()),
  inode: z.nullable(z.number()),
});

export const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(MANIFEST_VERSION),
  cr: z.object({version: z.string()}),
  engine: z.object({name: z.literal('blcr'), interface: z.string()}),
  host: z.string(),
  kernel: z.string(),
  job: z.string(),
  sequence: z.int().check(z.minimum(1)),
  target: z.int(),
  scope: z.enum(['proc', 'pgrp', 'sess', 'tree']),
  flags: z.string(),
  signal: z.int(),
  startedAt: z.string(),
  endedAt: z.string(),
  context: z.object({file: z.string(), size: z.int().check(z.minimum(0)), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/))}),
  openFiles: z.array(OpenFileSchema),
  /** --quiesce: the devices suspended while the job was held, the snapshot command and its status. */
  quiesce: z.optional(
    z.object({devices: z.array(z.string()), command: z.nullable(z.string()), commandStatus: z.nullable(z.int()), windowMs: z.number()}),
  ),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type OpenFile = z.infer<typeof OpenFileSchema>;

/** The manifest's name for a context file: `<file>.json`. */
export const manifestPathFor = (contextFile: string) => `${contextFile}.json`;

/** Write `manifest` next to its context file: temporary name, fsync, rename, fsync of the directory. */
export function writeManifest(contextFile: string, manifest: Manifest): string {
  const final = manifestPathFor(contextFile);
  const tmp = tempPathFor(final);
  const fd = fs.openSync(tmp, 'wx', 0o444);
  try {
    faultPoint('manifest-write');
    fs.writeSync(fd, `${JSON.stringify(manifest, null, 2)}\n`);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(tmp, {force: true});
    throw error;
  }
  fs.closeSync(fd);
  try {
    faultPoint('manifest-rename');
    fs.renameSync(tmp, final);
  } catch (error) {
    fs.rmSync(tmp, {force: true});
    throw error;
  }
  fsyncDirectory(path.dirname(final));
  return final;
}

/** Read and validate a manifest; throws with the reason (missing, not JSON, not a cr manifest, ...). */
export function readManifest(contextFile: string): Manifest {
  const file = manifestPathFor(contextFile);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`no manifest (${path.basename(file)} is missing)`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`manifest ${path.basename(file)} is not valid JSON`);
  }
  const r = ManifestSchema.safeParse(data);
  if (!r.success) throw new Error(`manifest ${path.basename(file)} is invalid at \`${r.error.issues[0].path.join('.')}\``);
  return r.data;
}
