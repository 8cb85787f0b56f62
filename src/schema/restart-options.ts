// Options of a restart, validated by zod.
import * as z from 'zod/mini';
import {KmsgSchema} from './checkpoint-options.js';

const HookSchema = z.optional(z.string().check(z.minLength(1)));

export const RestartOptionsSchema = z.object({
  /** The context file (absolute), or an open fd with `--fd`. */
  source: z.discriminatedUnion('kind', [
    z.object({kind: z.literal('file'), path: z.string().check(z.minLength(1))}),
    z.object({kind: z.literal('fd'), fd: z.int().check(z.minimum(0))}),
    /** The newest checkpoint of a directory (of one job, if given) that verifies. */
    z.object({kind: z.literal('latest'), dir: z.string().check(z.minLength(1)), job: z.optional(z.string().check(z.minLength(1)))}),
  ]),
  /** Signal after the restart: 0 none, N > 0, or -N for the early form. */
  signal: z.int().check(z.minimum(-64), z.maximum(64)),
  /** Up to 16 [old, new] absolute path prefixes. */
  relocate: z.array(z.tuple([z.string(), z.string()])).check(z.maxLength(16)),
  restorePid: z.boolean(),
  restorePgid: z.boolean(),
  restoreSid: z.boolean(),
  /** Whether cr would leave itself out of a later checkpoint (accepted for cr_restart compatibility). */
  omit: z.enum(['maybe', 'always', 'never']),
  hooks: z.object({success: HookSchema, args: HookSchema, temp: HookSchema, env: HookSchema, perm: HookSchema}),
  kmsg: KmsgSchema,
});

export type RestartOptions = z.infer<typeof RestartOptionsSchema>;
export type FailureClass = 'args' | 'temp' | 'env' | 'perm';
