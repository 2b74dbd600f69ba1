/** `--shard i/n`: this process handles the customers whose id hash mod n equals i. */
import { UsageError } from '../core/errors.js';

declare const parsedShard: unique symbol;

/**
 * A shard as parseShard checked it (0 <= index < count, whole numbers). The brand keeps a
 * hand-made `{ index, count }` out of the code that splits the work: only parseShard makes one.
 */
export type Shard = { readonly index: number; readonly count: number } & { readonly [parsedShard]: true };

export function parseShard(option: string, text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new UsageError(`${option} must be i/n with 0 <= i < n (e.g. 0/4), got ${JSON.stringify(text)}`);
  }
  return { index, count } as Shard;
}
