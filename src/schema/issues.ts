// zod issues -> one plain sentence, in the form "Expected `x` to be ..., got `v`".
import type * as z from 'zod/mini';

/** Describe the first issue of a failed parse; `names` maps option paths to the flags users typed. */
export function describeIssue(error: z.core.$ZodError, input: unknown, names: Record<string, string> = {}): string {
  const issue = error.issues[0];
  const key = issue.path.join('.');
  const name = names[key] ?? `\`${key}\``;
  const got = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], input);
  const i = issue as unknown as Record<string, unknown>;
  let want: string;
  switch (issue.code) {
    case 'too_big': want = `at most ${i.maximum}`; break;
    case 'too_small': want = i.origin === 'string' ? 'non-empty' : `at least ${i.minimum}`; break;
    case 'invalid_value': want = `one of ${(i.values as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`; break;
    case 'invalid_type': want = `of type ${i.expected}`; break;
    default: want = 'valid';
  }
  return `Expected ${name} to be ${want}, got \`${JSON.stringify(got)}\``;
}
