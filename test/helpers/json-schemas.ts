// The --json document of every command, as README "JSON output" states it, one zod schema each:
// one object; `ok`; `warnings` an array; on failure `error` {code, message, exitCode, details};
// paths absolute, times ISO 8601 in UTC with Z. Objects are strict, so a new field is a decision.
import path from 'node:path';
import {z} from 'zod';

export const AbsPath = z.string().refine((p) => path.isAbsolute(p), {message: 'not an absolute path'});
export const IsoTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'not an ISO 8601 UTC time');
const Int = z.number().int();
const Warnings = z.array(z.string().min(1));

export const ErrorBody = z.strictObject({code: z.string().regex(/^[A-Z][A-Z0-9_]*$/), message: z.string().min(1), exitCode: Int.min(1).max(255), details: z.array(z.string())});

/** A failure: the error document (plus, for some commands, what they found before failing). */
export const failure = (found: z.ZodRawShape = {}) => z.strictObject({ok: z.literal(false), error: ErrorBody, warnings: Warnings, ...found});
/** A success: the command's fields, `ok` and the warnings. */
const success = (shape: z.ZodRawShape) => z.strictObject({ok: z.literal(true), warnings: Warnings, ...shape});

const Checkpoint = z.strictObject({
  file: z.nullable(AbsPath),
  fd: z.nullable(Int),
  backup: z.nullable(AbsPath),
  manifest: z.nullable(AbsPath),
  sequence: z.nullable(Int),
  removed: z.array(AbsPath),
  cleaned: z.array(AbsPath),
  sha256: z.nullable(z.string().regex(/^[0-9a-f]{64}$/)),
  target: Int,
  scope: z.enum(['proc', 'pgrp', 'sess', 'tree']),
  signal: Int,
  flags: z.string(),
  bytes: Int.min(0),
  durationMs: z.number().min(0),
  interface: z.string(),
  log: z.array(z.string()),
  quiesce: z.nullable(z.looseObject({})),
  heldMs: z.nullable(z.number().min(0)),
  warnings: z.array(z.string()),
});

const Exit = z.nullable(z.strictObject({code: z.nullable(Int), signal: z.nullable(z.string().regex(/^SIG[A-Z0-9]+$/))}));
const Restart = {file: z.nullable(AbsPath), pid: Int, processes: Int, flags: z.string(), signal: Int, relocate: z.array(z.tuple([AbsPath, AbsPath])), log: z.array(z.string()), exit: Exit};

const DmInfo = z.strictObject({name: z.string(), uuid: z.string(), major: Int, minor: Int, suspended: z.boolean(), readOnly: z.boolean(), activePresent: z.boolean(), inactivePresent: z.boolean(), openCount: Int, eventNr: Int, targetCount: Int});
const DmTarget = z.strictObject({start: z.string(), length: z.string(), type: z.string(), params: z.string(), mirror: z.optional(z.looseObject({}))});

const ListEntry = z.strictObject({file: AbsPath, job: z.string(), sequence: Int, time: IsoTime, size: z.nullable(Int), status: z.string()});
const VerifyReport = z.strictObject({file: AbsPath, ok: z.boolean(), problems: z.array(z.string()), size: z.nullable(Int)});
const WatchEvent = z.strictObject({trigger: z.string(), at: IsoTime, ok: z.boolean(), file: z.optional(AbsPath), error: z.optional(ErrorBody), exitCode: z.optional(Int)});

/** Success schema of every command that has --json; failure is `failure()` unless FAILURE says otherwise. */
export const SUCCESS: Record<string, z.ZodType> = {
  checkpoint: success(Checkpoint.shape),
  restart: success(Restart),
  watch: success({target: Int, checkpoints: z.array(WatchEvent), ended: z.string()}),
  ls: success({dir: AbsPath, checkpoints: z.array(ListEntry)}),
  verify: success({checkpoints: z.array(VerifyReport)}),
  info: success({ctrlFile: AbsPath, present: z.boolean(), interface: z.string(), blcrRelease: z.string(), versionOk: z.boolean()}),
  'scheduler:print': success({scheduler: z.enum(['slurm', 'torque', 'lsf', 'sge']), files: z.array(z.strictObject({name: z.string(), mode: z.string().regex(/^0[0-7]{3}$/), text: z.string()}))}),
  'sge:checkpoint': success(Checkpoint.shape),
  'sge:clean': success({removed: z.array(AbsPath)}),
  'lsf:echkpnt': success(Checkpoint.shape),
  'lsf:erestart': success({file: AbsPath, job: z.string(), restartCmd: AbsPath, command: z.string()}),
  'pbs:checkpoint': success(Checkpoint.shape),
  'torque:checkpoint': success({checkpoint: Checkpoint, removed: z.array(AbsPath)}),
  'slurm:checkpoint': success({checkpoint: Checkpoint, requeued: z.nullable(z.string())}),
  'dm:ls': success({devices: z.array(z.looseObject({name: z.string()}))}),
  'dm:status': success({info: DmInfo, kind: z.enum(['status', 'table']), targets: z.array(DmTarget), userspaceLogUuid: z.optional(z.nullable(z.string()))}),
  'dm:suspend': success({suspended: z.array(DmInfo)}),
  'dm:resume': success({resumed: z.array(DmInfo)}),
  'dm:wait': success({name: z.string(), after: Int, eventNr: Int, info: DmInfo, targets: z.array(DmTarget)}),
  'dm:guard': success({resumed: z.array(z.string()), continued: z.array(Int), failed: z.array(z.strictObject({name: z.string(), error: ErrorBody}))}),
  'dmlog:status': success({server: z.looseObject({pid: Int, startedAt: IsoTime, socket: AbsPath}), logs: z.array(z.looseObject({}))}),
  'dmlog:serve': success({requests: Int, errors: Int, ignored: Int, malformed: Int, overruns: Int, sendFailures: Int, events: Int, seconds: z.number()}),
};

/** Failure documents that carry what the command found before it failed. */
export const FAILURE: Record<string, z.ZodType> = {
  verify: failure({checkpoints: z.optional(z.array(VerifyReport))}),
};

/** The schema a document of command `id` must match: its success or its failure form. */
export function documentSchema(id: string): z.ZodType {
  const ok = SUCCESS[id];
  if (!ok) throw new Error(`no --json schema for cr ${id.replace(/:/g, ' ')}`);
  return z.union([ok, FAILURE[id] ?? failure()]);
}
