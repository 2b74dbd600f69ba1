/**
 * What one POST came to, as a value. Every failure the endpoint or the network can produce is one
 * of these kinds, so no raw HTTP-library error (which carries the Authorization header) ever
 * leaves src/pipeline/send/http.ts.
 */

export type HttpOutcome =
  /** 2xx with `{updatedCustomers: string[]}`. */
  | { kind: 'ok'; updated: string[] }
  /** 2xx whose body is not that shape: a failure, never a success. */
  | { kind: 'malformed'; status: number; reason: string }
  /**
   * Any other status. `message` is safe to show: built from {type,code,details} or a short excerpt.
   * `location`: a redirect's target (never followed), scrubbed like the message.
   */
  | { kind: 'http'; status: number; retryAfterMs?: number; message: string; location?: string }
  /** The connection failed: ECONNRESET, ECONNREFUSED, ENOTFOUND, ... */
  | { kind: 'network'; code: string }
  /** The TLS handshake failed: an untrusted, expired or mismatched certificate, or not TLS at all. */
  | { kind: 'tls'; code: string }
  /** Our total deadline for the request fired. */
  | { kind: 'timeout' }
  /** The caller's signal fired (hard stop). */
  | { kind: 'aborted' };

/** The key under which a request is counted in the run's statistics. */
export function statsKey(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'ok':
      return '200';
    case 'http':
      return String(outcome.status);
    default:
      return outcome.kind;
  }
}

/** A short explanation for logs and the report (a failed customer's `detail`). Never holds the token. */
export function describeOutcome(outcome: HttpOutcome): string {
  switch (outcome.kind) {
    case 'ok':
      return `HTTP 200 with ${outcome.updated.length} updated`;
    case 'malformed':
      return `malformed response (HTTP ${outcome.status}): ${outcome.reason}`;
    case 'http':
      return `HTTP ${outcome.status}: ${outcome.message}`;
    case 'network':
      return `network error ${outcome.code}`;
    case 'tls':
      return `TLS error: ${tlsReason(outcome.code)} (${outcome.code})`;
    case 'timeout':
      return 'request deadline exceeded';
    case 'aborted':
      return 'interrupted in flight';
  }
}

/** 401 and 403: the token is missing, expired or lacks rights. */
export function isAuthRejection(outcome: HttpOutcome): outcome is Extract<HttpOutcome, { kind: 'http' }> & { status: 401 | 403 } {
  return outcome.kind === 'http' && (outcome.status === 401 || outcome.status === 403);
}

/**
 * Node's and OpenSSL's codes for a certificate the client does not accept, and for a handshake that
 * is not TLS at all (https:// to a plain-HTTP port). A handshake timeout is not among them: that is
 * a slow server, not a misconfigured one.
 */
const TLS_REASONS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not signed by a known authority (unknown CA or incomplete chain)',
  UNABLE_TO_GET_ISSUER_CERT: 'certificate issuer unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown (unknown CA)',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
  HOSTNAME_MISMATCH: 'certificate does not match the host name',
  CERT_REVOKED: 'certificate revoked',
  CERT_UNTRUSTED: 'certificate not trusted',
  CERT_REJECTED: 'certificate rejected',
  CERT_SIGNATURE_FAILURE: 'certificate signature invalid',
  CERT_CHAIN_TOO_LONG: 'certificate chain too long',
  INVALID_CA: 'invalid CA certificate',
  INVALID_PURPOSE: 'certificate not valid for a TLS server',
  PATH_LENGTH_EXCEEDED: 'certificate chain too long',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'certificate signature unreadable',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'certificate issuer key unreadable',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'certificate validity dates unreadable',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'certificate validity dates unreadable',
  EPROTO: 'handshake failed (is the port plain HTTP, or the TLS version unsupported?)',
  ERR_SSL_WRONG_VERSION_NUMBER: 'the server does not speak TLS (is the port plain HTTP?)',
};

/** Whether a connection error code is a TLS failure: a certificate not accepted or a handshake that failed. */
export function isTlsCode(code: string): boolean {
  return Object.hasOwn(TLS_REASONS, code) || code.startsWith('ERR_SSL_');
}

/** What a TLS code means, in a few words. */
export function tlsReason(code: string): string {
  return TLS_REASONS[code] ?? 'handshake failed';
}
