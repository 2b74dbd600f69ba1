/** `--shard i/n`: this process handles the customers whose id hash mod n equals i. */
import { UsageError } from '../errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(option: string, text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new UsageError(`${option} must be i/n with 0 <= i < n (e.g. 0/4), got ${JSON.stringify(text)}`);
  }
  return { index, count };
}
