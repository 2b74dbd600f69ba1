/**
 * After a 401/403, the token may have been rotated under the running job (a re-mounted secret).
 * Many requests in flight with the old token are rejected at about the same moment; they must
 * share ONE re-read of the token file, or all but the first would see "unchanged" and give up.
 */

export interface TokenProvider {
  current(): string;
  /** Re-reads the token's source; true when it now holds a different token. */
  reload(): Promise<boolean>;
}

export class TokenRenewal {
  private pending: Promise<boolean> | undefined;

  constructor(private readonly tokens: TokenProvider) {}

  /** Whether a token newer than `rejected` is now available to retry with. */
  async renewed(rejected: string): Promise<boolean> {
    if (this.tokens.current() !== rejected) return true; // another request already reloaded it
    this.pending ??= this.tokens
      .reload()
      .catch(() => false) // an unreadable file is no new token
      .finally(() => {
        this.pending = undefined;
      });
    return (await this.pending) || this.tokens.current() !== rejected;
  }
}
