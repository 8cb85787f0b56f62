// Options of a checkpoint, validated by zod; the one shape the command, engine and pipeline share.
// zod/mini keeps the start-up cost of validation small (it tree-shakes).
import * as z from 'zod/mini';

export const ScopeSchema = z.enum(['proc', 'pgrp', 'sess', 'tree']);
export const KmsgSchema = z.enum(['none', 'error', 'warning']);

const FileDestinationSchema = z.object({
  kind: z.literal('file'),
  path: z.string().check(z.minLength(1)),
  policy: z.enum(['atomic', 'backup', 'clobber', 'noclobber']),
  backupName: z.optional(z.string().check(z.minLength(1))),
  sync: z.boolean(),
});

const FdDestinationSchema = z.object({
  kind: z.literal('fd'),
  fd: z.int().check(z.minimum(0)),
  sync: z.boolean(),
  /** Check the fd before the request (default); cr_checkpoint leaves it to the kernel (EINVAL). */
  precheck: z.optional(z.boolean()),
});

const StoreDestinationSchema = z.object({
  kind: z.literal('store'),
  /** Directory mode: time-sorted names with job and sequence, a manifest beside each file. */
  dir: z.string().check(z.minLength(1)),
  job: z.string().check(z.minLength(1)),
  /** Keep only the newest N checkpoints of the job, applied after a successful publish. */
  keep: z.optional(z.int().check(z.minimum(1))),
  sync: z.boolean(),
});

const QuiesceSchema = z.object({
  /** Device-mapper devices, suspended in this order and resumed in reverse. */
  devices: z.array(z.string().check(z.minLength(1), z.maxLength(127))).check(z.minLength(1)),
  /** Run (sh -c) while the devices are suspended: a storage snapshot, typically. */
  command: z.nullable(z.string().check(z.minLength(1))),
  /** Bound on each wait for the dm-log server's confirmation. */
  timeoutSec: z.int().check(z.minimum(1)),
  /** Control socket of `cr dmlog serve`. */
  socket: z.string().check(z.minLength(1)),
});

export const CheckpointOptionsSchema = z.object({
  /** pid, pgid or sid, as `scope` says; 0 names the caller (cr itself). cr checkpoint takes only
   *  decimal ids >= 0; cr_checkpoint passes any int on to the kernel, as BLCR's tool does. */
  target: z.int().check(z.minimum(-0x80000000), z.maximum(0x7fffffff)),
  scope: ScopeSchema,
  destination: z.discriminatedUnion('kind', [FileDestinationSchema, FdDestinationSchema, StoreDestinationSchema]),
  /** Signal after the checkpoint: 0 none, N > 0, or -N for the early form. */
  signal: z.int().check(z.minimum(-64), z.maximum(64)),
  save: z.object({exe: z.boolean(), private: z.boolean(), shared: z.boolean()}),
  ptraced: z.enum(['error', 'skip', 'allow']),
  ptracer: z.enum(['error', 'skip']),
  /** Time limit in seconds, enforced by cr; 0 = none. */
  timeSec: z.int().check(z.minimum(0)),
  kmsg: KmsgSchema,
  /** Storage quiesce while the targets are held at the checkpoint (--quiesce). */
  quiesce: z.optional(QuiesceSchema),
});

export type CheckpointOptions = z.infer<typeof CheckpointOptionsSchema>;
export type Scope = z.infer<typeof ScopeSchema>;
export type QuiesceOptions = z.infer<typeof QuiesceSchema>;
