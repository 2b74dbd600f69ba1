import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { buildRunMetrics, pushRunMetrics, type RunMetricsSummary } from '../../src/metrics/index.js';

interface Received {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

/** A loopback stand-in for the Pushgateway: records each push and answers with `status`. */
async function fakePushgateway(
  answer: (res: ServerResponse) => void = (res) => res.writeHead(200).end(),
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

function summaryOf(overrides: Partial<RunMetricsSummary> = {}): RunMetricsSummary {
  return {
    status: 'succeeded',
    dryRun: false,
    counts: {
      rows: 20,
      invalid: 2,
      duplicates: 3,
      customers: 15,
      toClear: 1,
      updated: 11,
      notFound: 4,
      failed: 0,
      notSent: 0,
      repeatedHeaders: 0,
    },
    requests: { byStatus: { '200': 3, '429': 1 }, total: 4, retries: 1 },
    finishedAt: '2026-01-01T00:00:00.000Z',
    durationMs: 12_500,
    ...overrides,
  };
}

/** The exposition text's samples, keyed as written: `name` or `name{label="value"}`. */
function samples(text: string): Map<string, number> {
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(lines.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))]));
}

describe('pushRunMetrics', () => {
  it('PUTs a successful run to /metrics/job/<job name> with every batch-job metric', async () => {
    const gateway = await fakePushgateway();

    const result = await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf() });

    expect(result).toEqual({ ok: true, value: { method: 'PUT', url: `${gateway.url}/metrics/job/segment-sync` } });
    expect(gateway.received).toHaveLength(1);
    const [push] = gateway.received;
    expect(push!.method).toBe('PUT');
    expect(push!.path).toBe('/metrics/job/segment-sync');
    expect(Object.fromEntries(samples(push!.body))).toEqual({
      segment_sync_last_success_timestamp_seconds: Date.UTC(2026, 0, 1) / 1000,
      segment_sync_duration_seconds: 12.5,
      'segment_sync_rows{status="updated"}': 11,
      'segment_sync_rows{status="not_found"}': 4,
      'segment_sync_rows{status="failed"}': 0,
      'segment_sync_rows{status="rejected"}': 0,
      'segment_sync_rows{status="not_sent"}': 0,
      'segment_sync_rows{status="invalid"}': 2,
      'segment_sync_rows{status="duplicate"}': 3,
      'segment_sync_rows{status="unchanged"}': 0,
      'segment_sync_rows{status="cleared"}': 0,
      'segment_sync_requests{status="200"}': 3,
      'segment_sync_requests{status="429"}': 1,
      segment_sync_retries: 1,
    });
    expect(push!.body).toContain('# TYPE segment_sync_rows gauge');
  });

  it('POSTs a failed run without the last-success timestamp, so the previous success survives', async () => {
    const gateway = await fakePushgateway();
    const counts = { ...summaryOf().counts, updated: 5, failed: 6 };

    const result = await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf({ status: 'partial', counts }) });

    expect(result).toMatchObject({ ok: true, value: { method: 'POST' } });
    const [push] = gateway.received;
    expect(push!.method).toBe('POST');
    expect(push!.body).not.toContain('segment_sync_last_success_timestamp_seconds');
    expect(samples(push!.body).get('segment_sync_rows{status="failed"}')).toBe(6);
  });

  it('pushes the customers no request was answered for as not_sent', async () => {
    const gateway = await fakePushgateway();
    const counts = { ...summaryOf().counts, updated: 6, notSent: 5 };

    await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf({ status: 'interrupted', counts }) });

    const pushed = samples(gateway.received[0]!.body);
    expect(pushed.get('segment_sync_rows{status="not_sent"}')).toBe(5);
    expect(pushed.get('segment_sync_rows{status="updated"}')).toBe(6);
    expect(gateway.received[0]!.body).not.toContain('last_success');
  });

  it('never counts a dry run as a success', async () => {
    const gateway = await fakePushgateway();

    await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf({ dryRun: true }) });

    expect(gateway.received[0]!.method).toBe('POST');
    expect(gateway.received[0]!.body).not.toContain('last_success');
  });

  it('groups a sharded run by job and shard index, not by pod', async () => {
    const gateway = await fakePushgateway();

    const result = await pushRunMetrics({
      url: gateway.url,
      jobName: 'nightly',
      summary: summaryOf(),
      shard: { index: 2, count: 4 },
      groupingLabels: { env: 'production' },
    });

    expect(gateway.received[0]!.path).toBe('/metrics/job/nightly/env/production/shard/2');
    expect(result).toMatchObject({ ok: true, value: { url: `${gateway.url}/metrics/job/nightly/env/production/shard/2` } });
  });

  it('keeps a path prefix of the Pushgateway URL', async () => {
    const gateway = await fakePushgateway();

    await pushRunMetrics({ url: `${gateway.url}/pushgateway`, jobName: 'segment-sync', summary: summaryOf() });

    expect(gateway.received[0]!.path).toBe('/pushgateway/metrics/job/segment-sync');
  });

  it('returns an error when the Pushgateway answers 500, and sends URL credentials as basic auth without ever showing them', async () => {
    const password = 's3cret-pw';
    const gateway = await fakePushgateway((res) => res.writeHead(500).end(`cannot store metrics for ${password}`));
    const url = gateway.url.replace('http://', `http://metrics:${password}@`);

    const result = await pushRunMetrics({ url, jobName: 'segment-sync', summary: summaryOf() });

    expect(gateway.received[0]!.authorization).toBe(`Basic ${Buffer.from(`metrics:${password}`).toString('base64')}`);
    expect(result.ok).toBe(false);
    const error = result.ok ? '' : result.error;
    expect(error).toContain('500');
    expect(error).toContain(`http://[REDACTED]@127.0.0.1:${new URL(gateway.url).port}/metrics/job/segment-sync`);
    expect(error).not.toContain(password);
  });

  it('returns an error when nothing listens at the URL', async () => {
    const gateway = await fakePushgateway();
    await new Promise((resolve) => gateway.server.close(resolve));

    const result = await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf() });

    expect(result).toEqual({ ok: false, error: `pushing metrics to ${gateway.url}/metrics/job/segment-sync failed: ECONNREFUSED` });
  });

  it('gives up on a Pushgateway that never answers once the deadline passes', async () => {
    const gateway = await fakePushgateway(() => undefined);

    const result = await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf(), timeoutMs: 200 });

    expect(result).toEqual({
      ok: false,
      error: `pushing metrics to ${gateway.url}/metrics/job/segment-sync failed: timed out after 200 ms`,
    });
  });

  it.each([
    ['ftp://user:hunter2@gateway:2121', '--pushgateway must be an http(s) URL, got "ftp://[REDACTED]@gateway:2121/"'],
    [
      'hunter2 is no url',
      '--pushgateway must be an http(s) URL such as http://pushgateway:9091, got a value of 17 characters that is not a URL',
    ],
    ['http://gateway:9091/?token=hunter2', '--pushgateway must not have a query or fragment, got "http://gateway:9091/?[REDACTED]"'],
  ])('rejects the Pushgateway URL %j with a message naming the option and no secret', async (url, message) => {
    const result = await pushRunMetrics({ url, jobName: 'segment-sync', summary: summaryOf() });

    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.error).toContain(message);
    expect(result.ok ? '' : result.error).not.toContain('hunter2');
  });

  it.each([
    [{ jobName: 'nightly/eu' }, `--job-name must be non-empty and contain no '/', got "nightly/eu"`],
    [{ jobName: '' }, `--job-name must be non-empty and contain no '/', got ""`],
    [{ groupingLabels: { job: 'x' } }, 'grouping label name "job" is not allowed'],
    [{ groupingLabels: { 'bad-name': 'x' } }, 'grouping label name "bad-name" is not allowed'],
    [{ timeoutMs: 0 }, 'metrics push timeoutMs must be a positive number, got 0'],
  ])('rejects the options %j before sending anything', async (overrides, message) => {
    const gateway = await fakePushgateway();

    const result = await pushRunMetrics({ url: gateway.url, jobName: 'segment-sync', summary: summaryOf(), ...overrides });

    expect(result.ok ? '' : result.error).toContain(message);
    expect(gateway.received).toHaveLength(0);
  });
});

describe('buildRunMetrics', () => {
  it('refuses a summary whose finishedAt is not a date rather than push a NaN timestamp', () => {
    expect(buildRunMetrics(summaryOf({ finishedAt: 'yesterday' }))).toEqual({
      ok: false,
      error: 'summary.finishedAt is not a date: "yesterday"',
    });
  });

  it('leaves the totals out of the requests-by-status metric', async () => {
    const built = buildRunMetrics(summaryOf({ requests: { byStatus: { '200': 2, '503': 2, network: 1 }, total: 5, retries: 3 } }));

    const text = built.ok ? await built.value.registry.metrics() : '';
    const requestSamples = [...samples(text).keys()].filter((key) => key.startsWith('segment_sync_requests'));
    expect(requestSamples).toEqual([
      'segment_sync_requests{status="200"}',
      'segment_sync_requests{status="503"}',
      'segment_sync_requests{status="network"}',
    ]);
  });
});
