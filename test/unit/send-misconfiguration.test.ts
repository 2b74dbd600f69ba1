/** Which answers, before any success, mean the endpoint URL is wrong; and what the run then says. Pure. */
import { EndpointError, SyncError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import {
  endpointError,
  endpointTarget,
  misconfiguration,
  NOT_SENT_ENDPOINT,
  notSentDetail,
} from '../../src/pipeline/send/misconfiguration.js';
import { describeOutcome, isTlsCode, statsKey, type HttpOutcome } from '../../src/pipeline/send/post-outcome.js';
import { interpretResponse } from '../../src/pipeline/send/response.js';
import { isRetryable } from '../../src/pipeline/send/retry-policy.js';

const TOKEN = 'sk-live-5ecret-T0KEN';
const http = (status: number, extra: Partial<Extract<HttpOutcome, { kind: 'http' }>> = {}): HttpOutcome => ({
  kind: 'http',
  status,
  message: 'x',
  ...extra,
});
const answerOf = (outcome: HttpOutcome): string | undefined => misconfiguration(outcome)?.answer;

describe('misconfiguration', () => {
  it('takes 404 and 405 for a wrong URL', () => {
    expect(misconfiguration(http(404))).toMatchObject({ answer: 'HTTP 404', status: 404, reached: true });
    expect(misconfiguration(http(405))).toMatchObject({ answer: 'HTTP 405', status: 405, reached: true });
  });

  it.each([300, 301, 302, 303, 304, 307, 308])('takes a %i for a wrong URL, naming where it points', (status) => {
    expect(answerOf(http(status, { location: 'https://login.example/sso' }))).toBe(`redirect ${status} to https://login.example/sso`);
    expect(answerOf(http(status))).toBe(`redirect ${status} without a Location`);
  });

  it.each([400, 401, 403, 408, 409, 413, 422, 429, 500, 502, 503, 504])('leaves HTTP %i to the usual handling', (status) => {
    expect(misconfiguration(http(status))).toBeUndefined();
  });

  it.each([
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS: self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'TLS: self-signed certificate in the chain (SELF_SIGNED_CERT_IN_CHAIN)'],
    [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'TLS: certificate not signed by a known authority (unknown CA or incomplete chain) (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    ],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'TLS: certificate issuer unknown (unknown CA) (UNABLE_TO_GET_ISSUER_CERT_LOCALLY)'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS: certificate does not match the host name (ERR_TLS_CERT_ALTNAME_INVALID)'],
    ['CERT_HAS_EXPIRED', 'TLS: certificate expired (CERT_HAS_EXPIRED)'],
    ['EPROTO', 'TLS: handshake failed (is the port plain HTTP, or the TLS version unsupported?) (EPROTO)'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'TLS: handshake failed (ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE)'],
  ])('takes the TLS failure %s for a wrong endpoint', (code, answer) => {
    expect(misconfiguration({ kind: 'tls', code })).toMatchObject({ answer, reached: false });
  });

  it('takes a host name that does not exist (ENOTFOUND) for a wrong endpoint', () => {
    expect(misconfiguration({ kind: 'network', code: 'ENOTFOUND' })).toMatchObject({
      answer: 'DNS: host not found (ENOTFOUND)',
      reached: false,
    });
  });

  it.each(['EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ERR_UNKNOWN'])(
    'leaves the transient network failure %s to the retries (EAI_AGAIN: the resolver failed, not the name)',
    (code) => {
      expect(misconfiguration({ kind: 'network', code })).toBeUndefined();
    },
  );

  it('leaves success, malformed answers, timeouts and aborts alone', () => {
    for (const outcome of [
      { kind: 'ok', updated: [] },
      { kind: 'malformed', status: 200, reason: 'body is not JSON' },
      { kind: 'timeout' },
      { kind: 'aborted' },
    ] as HttpOutcome[]) {
      expect(misconfiguration(outcome)).toBeUndefined();
    }
  });

  it('gives a hint without retry advice', () => {
    for (const outcome of [
      http(404),
      http(405),
      http(301, { location: 'https://x/' }),
      { kind: 'tls', code: 'CERT_HAS_EXPIRED' },
      { kind: 'network', code: 'ENOTFOUND' },
    ] as HttpOutcome[]) {
      const hint = misconfiguration(outcome)!.hint;
      expect(hint).toContain('--endpoint');
      expect(hint).not.toMatch(/retry|resend|again/i);
    }
  });
});

describe('TLS outcomes', () => {
  it('knows the certificate and handshake codes, not a handshake timeout', () => {
    for (const code of [
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'CERT_HAS_EXPIRED',
      'EPROTO',
      'ERR_SSL_WRONG_VERSION_NUMBER',
    ]) {
      expect(isTlsCode(code)).toBe(true);
    }
    for (const code of ['ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_TLS_HANDSHAKE_TIMEOUT', 'toString', 'constructor'])
      expect(isTlsCode(code)).toBe(false);
  });

  it('are described, counted apart from other network errors, and retried once the endpoint has proved right', () => {
    const outcome: HttpOutcome = { kind: 'tls', code: 'CERT_HAS_EXPIRED' };
    expect(describeOutcome(outcome)).toBe('TLS error: certificate expired (CERT_HAS_EXPIRED)');
    expect(statsKey(outcome)).toBe('tls');
    expect(isRetryable(outcome)).toBe(true);
  });
});

describe('a redirect outcome', () => {
  const context = { secrets: [TOKEN], nowMs: 0, maxResponseBytes: 1000 };

  it('keeps the Location, scrubbed of the token', () => {
    const outcome = interpretResponse({ status: 302, location: `https://login.example/?token=${TOKEN}`, body: '' }, context);
    expect(outcome).toMatchObject({ kind: 'http', status: 302, location: 'https://login.example/?token=[REDACTED]' });
    expect(answerOf(outcome)).toBe('redirect 302 to https://login.example/?token=[REDACTED]');
  });

  it('has no Location field for other statuses', () => {
    expect(interpretResponse({ status: 404, location: 'https://x/', body: '' }, context)).not.toHaveProperty('location');
  });
});

describe('endpointTarget', () => {
  it('shows origin and path only: no query, credentials or fragment', () => {
    expect(endpointTarget('https://user:pa55@api.example:8443/api/v3/customers/segments?key=abc#frag')).toBe(
      'https://api.example:8443/api/v3/customers/segments',
    );
    expect(endpointTarget('http://127.0.0.1:8787/api/v3/customers/segments')).toBe('http://127.0.0.1:8787/api/v3/customers/segments');
    expect(endpointTarget('not a url')).toBe('(not a URL)');
  });
});

describe('endpointError', () => {
  const target = 'https://api.example/api/v3/customers/segments';

  it('is a configuration error (exit 2) naming the endpoint and its answer', () => {
    const error = endpointError(target, misconfiguration(http(404))!);
    expect(error).toBeInstanceOf(EndpointError);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({
      exitCode: ExitCode.Usage,
      code: 'ENDPOINT_MISCONFIGURED',
      endpoint: target,
      answer: 'HTTP 404',
      status: 404,
    });
    expect(error.message).toBe(
      `The endpoint ${target} answered HTTP 404 before any request succeeded: no such path on that server; check --endpoint (or --env). Stopped sending.`,
    );
  });

  it('says the endpoint could not be reached on a TLS or DNS failure', () => {
    const tls = endpointError(target, misconfiguration({ kind: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' })!);
    expect(tls.message).toMatch(
      new RegExp(
        `^Could not connect to the endpoint ${target}: TLS: self-signed certificate \\(DEPTH_ZERO_SELF_SIGNED_CERT\\) before any request succeeded`,
      ),
    );
    expect(tls.status).toBeUndefined();
    const dns = endpointError(target, misconfiguration({ kind: 'network', code: 'ENOTFOUND' })!);
    expect(dns.message).toContain('DNS: host not found (ENOTFOUND)');
  });

  it('gives customers a detail that starts with "not sent: "', () => {
    const error = endpointError(target, misconfiguration(http(301, { location: 'https://elsewhere/' }))!);
    expect(notSentDetail(error)).toBe(`${NOT_SENT_ENDPOINT} (redirect 301 to https://elsewhere/)`);
    expect(notSentDetail(error)).toMatch(/^not sent: /);
  });
});
