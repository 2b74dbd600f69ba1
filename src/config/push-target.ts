/**
 * Where a run's metrics go: the Pushgateway URL and the grouping key (pure). The grouping key is
 * the job name, plus the shard index for sharded runs, never the pod: a retried pod must replace
 * its predecessor's metrics, not add a new series for every pod name.
 */
import type { Shard } from './shard.js';
import { redactUrl, registerUrlPassword } from '../core/secrets.js';
import { err, ok, type Result } from '../core/result.js';

/** Also imported from here by src/cli/run.ts (to be swapped to src/core/secrets.ts there). */

export interface PushTargetOptions {
  /** --pushgateway; may carry basic-auth credentials (user:password@host), which are never shown. */
  url: string;
  /** --job-name */
  jobName: string;
  shard?: Shard;
  /** Extra grouping labels, e.g. { env: 'production' }. */
  groupingLabels?: Record<string, string>;
}

export interface PushTarget {
  url: string;
  jobName: string;
  groupings: Record<string, string>;
  /** The group's URL without credentials: safe to log. */
  display: string;
}

export type PushTargetResult = Result<PushTarget>;

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Set by the grouping key itself, or by the Pushgateway. */
const RESERVED_LABELS = new Set(['job', 'shard', 'instance']);

export function resolvePushTarget(options: PushTargetOptions): PushTargetResult {
  const parsed = parseGatewayUrl(options.url);
  if (!parsed.ok) return parsed;
  const url = parsed.value;
  const labelError = checkPathValue('--job-name', options.jobName) ?? checkGroupingLabels(options.groupingLabels ?? {});
  if (labelError) return err(labelError);

  const groupings = { ...options.groupingLabels, ...(options.shard ? { shard: String(options.shard.index) } : {}) };
  return ok({ url: options.url, jobName: options.jobName, groupings, display: groupUrl(url, options.jobName, groupings) });
}

/** A URL object, or an error message naming the option (the value shown without its credentials). */
function parseGatewayUrl(raw: string): Result<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // An unparsable value cannot be redacted reliably: show its shape only.
    return err(
      `--pushgateway must be an http(s) URL such as http://pushgateway:9091, got a value of ${raw.length} characters that is not a URL`,
    );
  }
  // From here on its password is hidden wherever it would be shown (logs, this module's messages).
  registerUrlPassword(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return err(`--pushgateway must be an http(s) URL, got ${JSON.stringify(redactUrl(url))}`);
  if (url.search !== '' || url.hash !== '')
    return err(`--pushgateway must not have a query or fragment, got ${JSON.stringify(redactUrl(url))}`);
  return ok(url);
}

function checkGroupingLabels(labels: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || RESERVED_LABELS.has(name))
      return `grouping label name ${JSON.stringify(name)} is not allowed (a Prometheus label name other than ${[...RESERVED_LABELS].join(', ')})`;
    const error = checkPathValue(`grouping label ${name}`, value);
    if (error) return error;
  }
  return undefined;
}

/** Grouping values are URL path segments: the Pushgateway would need base64 for '/' or an empty value. */
function checkPathValue(option: string, value: string): string | undefined {
  if (value === '' || value.includes('/')) return `${option} must be non-empty and contain no '/', got ${JSON.stringify(value)}`;
  return undefined;
}

function groupUrl(url: URL, jobName: string, groupings: Record<string, string>): string {
  const base = redactUrl(url).replace(/\/$/, '');
  const labels = Object.entries(groupings).map(([k, v]) => `/${encodeURIComponent(k)}/${encodeURIComponent(v)}`);
  return `${base}/metrics/job/${encodeURIComponent(jobName)}${labels.join('')}`;
}
