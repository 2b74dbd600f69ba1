/**
 * What the environment does to the connections that carry the token, checked once at the boundary
 * (resolveRunConfig), before anything is read or sent:
 *
 * - NODE_TLS_REJECT_UNAUTHORIZED=0 turns certificate checks off for every TLS connection of the
 *   process: anyone on the path could present any certificate and read the token. Refused.
 * - A proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, lower or upper case, minus NO_PROXY: what axios
 *   honours) sees a plain-http request whole, Authorization header included. A plain-http endpoint
 *   that is not loopback is refused when a proxy applies to it, even with --allow-insecure-http
 *   (that flag accepts the network path to the endpoint, not a third party in the middle).
 *   Loopback traffic never goes through a proxy at all (src/pipeline/send/http.ts sets `proxy: false`).
 */
import { UsageError } from '../core/errors.js';

/** localhost, 127.0.0.0/8 and ::1: the only hosts a plain-http request may go to without TLS. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Lower case first, as proxy-from-env (axios) reads them. */
function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name.toLowerCase()] || env[name.toUpperCase()];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The name of the variable that would proxy a request to `url` (axios' rules, via proxy-from-env), or undefined. */
export function proxyVariableFor(url: URL, env: NodeJS.ProcessEnv): string | undefined {
  if (isLoopbackHost(url.hostname)) return undefined; // never proxied: see http.ts
  if (noProxyMatches(url, env)) return undefined;
  const scheme = url.protocol.replace(/:$/, '');
  for (const base of [`${scheme}_proxy`, 'all_proxy']) {
    for (const name of [base, base.toUpperCase()]) if ((env[name] ?? '').trim() !== '') return name;
  }
  return undefined;
}

/** NO_PROXY / no_proxy: `*`, or comma/space-separated hosts, `.suffix` / `*.suffix`, optionally `:port`. */
function noProxyMatches(url: URL, env: NodeJS.ProcessEnv): boolean {
  const list = envValue(env, 'no_proxy');
  if (list === undefined) return false;
  if (list === '*') return true;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return list.split(/[,\s]+/).some((raw) => {
    const entry = raw.trim().toLowerCase();
    if (entry === '') return false;
    // Matches every entry: `.` takes anything but line breaks, and the split took those out.
    const [, pattern, entryPort] = /^(.*?)(?::(\d+))?$/.exec(entry) ?? [];
    if (pattern === undefined) throw new TypeError(`NO_PROXY entry ${JSON.stringify(entry)} did not match the host[:port] pattern`);
    const entryHost = pattern.replace(/^\*/, '');
    if (entryPort !== undefined && entryPort !== port) return false;
    if (entryHost.startsWith('.')) return host.endsWith(entryHost) || host === entryHost.slice(1);
    return host === entryHost || host.endsWith(`.${entryHost}`);
  });
}

export const TLS_CHECKS_OFF_MESSAGE =
  'NODE_TLS_REJECT_UNAUTHORIZED=0 is set: certificate checks are off for every connection of this process, so anyone ' +
  'on the network path could pose as the endpoint and read the token. Unset it; for an endpoint signed by a private CA, ' +
  'give that CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem instead.';

/**
 * Refuses an environment that would expose the token. `endpoint` is where the token goes (undefined
 * in a dry run); `connects` is false for a run that makes no connection at all.
 */
export function checkTransportEnv(endpoint: string | undefined, env: NodeJS.ProcessEnv, connects: boolean): void {
  if (connects && env.NODE_TLS_REJECT_UNAUTHORIZED === '0') throw new UsageError(TLS_CHECKS_OFF_MESSAGE, 'TLS_CHECKS_OFF');
  if (endpoint === undefined) return;
  const url = new URL(endpoint);
  if (url.protocol !== 'http:') return;
  const proxy = proxyVariableFor(url, env);
  if (proxy === undefined) return;
  throw new UsageError(
    `--endpoint ${url.origin} is plain http and ${proxy} is set: every request, with its token, would pass in clear ` +
      `through the proxy. Use an https:// endpoint, or exclude this host from the proxy with NO_PROXY=${url.hostname}.`,
    'PROXY_PLAIN_HTTP',
  );
}
