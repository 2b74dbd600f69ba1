/**
 * Fail fast on a misconfigured endpoint. Until one request has succeeded (a 200 with
 * `{updatedCustomers}`), an answer that says "this URL is not the bulk endpoint" stops the run:
 *
 * - HTTP 404 (no such path) and 405 (no POST there): a wrong path or the wrong service;
 * - any 3xx: redirects are never followed (the token would go along to wherever it points);
 * - a TLS failure (untrusted, self-signed, expired or mismatched certificate; not TLS at all);
 * - DNS: the host name does not exist (ENOTFOUND).
 *
 * EAI_AGAIN ("temporary failure in name resolution") is NOT among them: it is the resolver failing,
 * not the name, and in a cluster it is a common blip at pod start; it is retried like any network
 * error. ECONNREFUSED and timeouts are also retried: a server restarting answers them too.
 *
 * After the first success the same answers are ordinary failures (one bad node behind a load
 * balancer, a certificate being rotated): retried per the retry policy, or failed. Pure.
 */
import { EndpointError } from '../../core/errors.js';
import { tlsReason, type HttpOutcome } from './post-outcome.js';

/** The start of the `detail` of every customer not sent because the endpoint is misconfigured. */
export const NOT_SENT_ENDPOINT = 'not sent: endpoint misconfigured';

/** Codes of a host name that does not resolve (not of a resolver that is down: that is EAI_AGAIN). */
const DNS_NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA']);

export interface Misconfiguration {
  /** What the endpoint answered, for messages and details: "HTTP 404", "redirect 301 to https://…". */
  answer: string;
  /** What that means and where to look. Never retry advice: a retry gets the same answer. */
  hint: string;
  /** The HTTP status, when the answer was one. */
  status?: number;
  /** Whether the endpoint answered (HTTP) or could not be reached (TLS, DNS). */
  reached: boolean;
}

const WHERE = 'check --endpoint (or --env)';

/**
 * Whether `outcome`, when no request has succeeded yet, means the endpoint is misconfigured; and
 * if so what it answered. Undefined for every other outcome (those are retried or failed as usual).
 */
export function misconfiguration(outcome: HttpOutcome): Misconfiguration | undefined {
  switch (outcome.kind) {
    case 'http': {
      const { status } = outcome;
      if (status === 404) return { answer: 'HTTP 404', status, reached: true, hint: `no such path on that server; ${WHERE}` };
      if (status === 405) {
        return {
          answer: 'HTTP 405',
          status,
          reached: true,
          hint: `that URL does not take a POST, so it is not the bulk endpoint; ${WHERE}`,
        };
      }
      if (status >= 300 && status < 400) {
        const to = outcome.location ? ` to ${outcome.location}` : ' without a Location';
        return {
          answer: `redirect ${status}${to}`,
          status,
          reached: true,
          hint: `redirects are never followed (the token would go along); ${WHERE}, and use the URL it points to only if that is the endpoint`,
        };
      }
      return undefined;
    }
    case 'tls':
      return {
        answer: `TLS: ${tlsReason(outcome.code)} (${outcome.code})`,
        reached: false,
        hint: `certificates are always verified; ${WHERE}: scheme, host and port. A certificate from a private CA is trusted through NODE_EXTRA_CA_CERTS`,
      };
    case 'network':
      if (!DNS_NOT_FOUND.has(outcome.code)) return undefined;
      return { answer: `DNS: host not found (${outcome.code})`, reached: false, hint: `the host name does not resolve; ${WHERE}` };
    default:
      return undefined;
  }
}

/** The endpoint as shown in messages: origin and path, never a query (it may hold a key), credentials or fragment. */
export function endpointTarget(endpoint: string): string {
  if (!URL.canParse(endpoint)) return '(not a URL)';
  const url = new URL(endpoint);
  return `${url.origin}${url.pathname}`;
}

/** The run's error for a misconfigured endpoint: exit 2, the endpoint and what it answered. */
export function endpointError(target: string, found: Misconfiguration): EndpointError {
  const verb = found.reached ? `The endpoint ${target} answered` : `Could not connect to the endpoint ${target}:`;
  const message = `${verb} ${found.answer} before any request succeeded: ${found.hint}. Stopped sending.`;
  return new EndpointError(message, target, found.answer, found.status);
}

/** The `detail` of a customer not sent because of `error`. */
export function notSentDetail(error: EndpointError): string {
  return `${NOT_SENT_ENDPOINT} (${error.answer})`;
}
