import path from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { DEFAULTS, ENDPOINTS } from '../../src/config/defaults.js';
import {
  checkEndpointUrl,
  defaultReportDir,
  defaultsOf,
  environmentOf,
  inputOptions,
  resolveInputConfig,
  resolveRunConfig,
  sendOptions,
  type RawArgs,
} from '../../src/config/run-options.js';
import { exceeds, formatThreshold, parseThreshold } from '../../src/config/threshold.js';
import { parseShard } from '../../src/config/shard.js';

const ENDPOINT = 'https://segments.example.com/api/v3/customers/segments';

/** What yargs hands over for `run a.csv --endpoint …` with no other flags. */
function runArgs(overrides: RawArgs = {}): RawArgs {
  return { ...defaultsOf(inputOptions), ...defaultsOf(sendOptions), files: ['a.csv'], endpoint: ENDPOINT, ...overrides };
}

/** The UsageError thrown by `fn`; fails the test when it throws nothing or something else. */
function usageErrorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('defaultsOf', () => {
  it('keys each default by the camelCase name yargs uses', () => {
    const defaults = defaultsOf(sendOptions);
    expect(defaults.batchSize).toBe(DEFAULTS.batchSize);
    expect(defaults.maxBatchBytes).toBe(DEFAULTS.maxBatchBytes);
    expect(defaults.allowInsecureHttp).toBe(false);
    expect(defaults.stateDir).toBe(DEFAULTS.stateDir);
    expect(defaultsOf(inputOptions).maxInvalid).toBe(DEFAULTS.maxInvalid);
  });

  it('leaves out options that have no default', () => {
    const defaults = defaultsOf({ ...inputOptions, ...sendOptions });
    for (const key of ['delimiter', 'layout', 'reportDir', 'endpoint', 'env', 'token', 'tokenFile', 'shard', 'shardCount']) {
      expect(defaults).not.toHaveProperty(key);
    }
  });
});

describe('resolveRunConfig', () => {
  it('turns the defaults into a config with times in milliseconds', () => {
    const config = resolveRunConfig(runArgs(), {});
    expect(config).toMatchObject({
      files: ['a.csv'],
      endpoint: ENDPOINT,
      idColumn: DEFAULTS.idColumn,
      batchSize: DEFAULTS.batchSize,
      maxBatchBytes: DEFAULTS.maxBatchBytes,
      rate: DEFAULTS.rate,
      concurrency: DEFAULTS.concurrency,
      maxAttempts: DEFAULTS.maxAttempts,
      timeoutMs: DEFAULTS.timeout * 1000,
      graceMs: DEFAULTS.grace * 1000,
      progressIntervalMs: DEFAULTS.progressInterval * 1000,
      maxInvalid: parseThreshold('--max-invalid', DEFAULTS.maxInvalid),
      dryRun: false,
      fresh: false,
      skipEmpty: false,
      jobName: DEFAULTS.jobName,
    });
    expect(config.shard).toBeUndefined();
  });

  it('maps --env to the documented URLs of the contract', () => {
    expect(resolveRunConfig(runArgs({ endpoint: undefined, env: 'production' }), {}).endpoint).toBe(
      'https://deadpool.instaleap.io/api/v3/customers/segments',
    );
    expect(resolveRunConfig(runArgs({ endpoint: undefined, env: 'staging' }), {}).endpoint).toBe(
      'https://deadpool.xandar.instaleap.io/api/v3/customers/segments',
    );
    expect(Object.keys(ENDPOINTS).sort()).toEqual(['production', 'staging']);
  });

  it('refuses --endpoint together with --env', () => {
    const error = usageErrorOf(() => resolveRunConfig(runArgs({ env: 'staging' }), {}));
    expect(error.message).toContain('--endpoint');
    expect(error.message).toContain('--env');
  });

  it('needs a target unless it is a dry run', () => {
    const error = usageErrorOf(() => resolveRunConfig(runArgs({ endpoint: undefined }), {}));
    expect(error.message).toMatch(/--endpoint.*--env.*--dry-run/);
    expect(resolveRunConfig(runArgs({ endpoint: undefined, dryRun: true }), {}).endpoint).toBeUndefined();
  });

  it('passes the token sources through, treating empty strings as not given', () => {
    expect(resolveRunConfig(runArgs({ tokenFile: '/run/secrets/token', token: 'abc' }), {}).token).toEqual({
      file: '/run/secrets/token',
      value: 'abc',
    });
    expect(resolveRunConfig(runArgs({ tokenFile: '', token: '' }), {}).token).toEqual({ file: undefined, value: undefined });
  });

  it('takes the shard from --shard and gives the process 1/n of --rate', () => {
    const config = resolveRunConfig(runArgs({ shard: '1/4', rate: 8 }), {});
    expect(config.shard).toEqual({ index: 1, count: 4 });
    expect(config.rate).toBe(2);
  });

  it('keeps an unlimited rate (0) unlimited when sharded', () => {
    expect(resolveRunConfig(runArgs({ shard: '0/3', rate: 0 }), {}).rate).toBe(0);
  });

  it('reads the shard index of --shard-count from JOB_COMPLETION_INDEX', () => {
    const config = resolveRunConfig(runArgs({ shardCount: 3, rate: 9 }), { JOB_COMPLETION_INDEX: '2' });
    expect(config.shard).toEqual({ index: 2, count: 3 });
    expect(config.rate).toBe(3);
  });

  it('refuses --shard-count without JOB_COMPLETION_INDEX, naming the variable', () => {
    const error = usageErrorOf(() => resolveRunConfig(runArgs({ shardCount: 3 }), {}));
    expect(error.message).toContain('--shard-count');
    expect(error.message).toContain('JOB_COMPLETION_INDEX');
  });

  it('refuses a JOB_COMPLETION_INDEX outside --shard-count, naming both and the values', () => {
    const error = usageErrorOf(() => resolveRunConfig(runArgs({ shardCount: 3 }), { JOB_COMPLETION_INDEX: '3' }));
    expect(error.message).toContain('--shard-count');
    expect(error.message).toContain('JOB_COMPLETION_INDEX');
    expect(error.message).toContain('3/3');
  });

  it('refuses --shard together with --shard-count', () => {
    const error = usageErrorOf(() => resolveRunConfig(runArgs({ shard: '0/2', shardCount: 2 }), { JOB_COMPLETION_INDEX: '0' }));
    expect(error.message).toContain('--shard');
    expect(error.message).toContain('--shard-count');
  });

  it.each([
    ['--batch-size', 'batchSize', 0],
    ['--batch-size', 'batchSize', 2.5],
    ['--batch-size', 'batchSize', 'ten'],
    ['--max-batch-bytes', 'maxBatchBytes', 100],
    ['--rate', 'rate', -1],
    ['--rate', 'rate', ''],
    ['--rate', 'rate', '  '],
    ['--concurrency', 'concurrency', 0],
    ['--max-attempts', 'maxAttempts', -3],
    ['--timeout', 'timeout', 0],
    ['--timeout', 'timeout', 'Infinity'],
    ['--grace', 'grace', -5],
    ['--progress-interval', 'progressInterval', 0],
    ['--max-record-bytes', 'maxRecordBytes', 0.5],
    ['--max-invalid', 'maxInvalid', '5 rows'],
    ['--delimiter', 'delimiter', 'x'],
    ['--delimiter', 'delimiter', 'constructor'],
    ['--shard', 'shard', '4/4'],
    ['--endpoint', 'endpoint', 'not a url'],
    ['--endpoint', 'endpoint', 'ftp://files.example.com/segments'],
  ])('rejects %s %j with a UsageError naming the option and the value', (option, key, value) => {
    const error = usageErrorOf(() => resolveRunConfig(runArgs({ [key]: value }), {}));
    expect(error.message).toContain(option);
    expect(error.message).toContain(String(value).trim() === '' ? JSON.stringify(value) : String(value));
  });

  it.each([
    ['--id-column', 'idColumn'],
    ['--state-dir', 'stateDir'],
    ['--job-name', 'jobName'],
  ])('rejects an empty %s', (option, key) => {
    expect(usageErrorOf(() => resolveRunConfig(runArgs({ [key]: '  ' }), {})).message).toContain(option);
  });

  it('accepts numbers given as text (environment variables, config files)', () => {
    const config = resolveRunConfig(runArgs({ batchSize: '250', rate: '0.5', timeout: '2.5' }), {});
    expect(config).toMatchObject({ batchSize: 250, rate: 0.5, timeoutMs: 2500 });
  });

  it('fills in the other run options when a validate run sets only the input ones', () => {
    const config = resolveRunConfig({ ...defaultsOf(sendOptions), ...defaultsOf(inputOptions), files: ['a.csv'], dryRun: true }, {});
    expect(config.dryRun).toBe(true);
    expect(config.endpoint).toBeUndefined();
  });
});

describe('resolveInputConfig', () => {
  const inputArgs = (overrides: RawArgs = {}): RawArgs => ({ ...defaultsOf(inputOptions), files: ['a.csv'], ...overrides });

  it('needs at least one input file', () => {
    expect(usageErrorOf(() => resolveInputConfig(inputArgs({ files: [] }))).message).toContain('input file');
  });

  it("takes '-' (stdin) only once", () => {
    expect(usageErrorOf(() => resolveInputConfig(inputArgs({ files: ['-', 'a.csv', '-'] }))).message).toBe(
      "'-' (stdin) can be given only once",
    );
  });

  it.each([
    [',', ','],
    [';', ';'],
    ['|', '|'],
    ['\t', '\t'],
    ['tab', '\t'],
    ['\\t', '\t'],
  ])('accepts the delimiter %j', (given, expected) => {
    expect(resolveInputConfig(inputArgs({ delimiter: given })).delimiter).toBe(expected);
  });

  it('leaves the delimiter and layout to detection when not given', () => {
    const config = resolveInputConfig(inputArgs());
    expect(config.delimiter).toBeUndefined();
    expect(config.layout).toBeUndefined();
  });

  it('trims the id column name', () => {
    expect(resolveInputConfig(inputArgs({ idColumn: '  customer_id ' })).idColumn).toBe('customer_id');
  });

  it('puts the report in a timestamped directory of the run unless --report-dir is given', () => {
    const now = new Date('2026-11-21T21:37:05.123Z');
    const runId = '6f1c2d3e-0000-4000-8000-000000000001';
    expect(resolveInputConfig(inputArgs(), now, runId).reportDir).toBe(defaultReportDir(now, runId));
    expect(resolveInputConfig(inputArgs({ reportDir: '' }), now, runId).reportDir).toBe(defaultReportDir(now, runId));
    expect(resolveInputConfig(inputArgs({ reportDir: '/data/reports/x' }), now, runId).reportDir).toBe('/data/reports/x');
    expect(resolveRunConfig(runArgs(), {}, now, runId).reportDir).toBe(defaultReportDir(now, runId));
  });

  it('gives two runs started at the same moment different report dirs', () => {
    const now = new Date('2026-11-21T21:37:05.123Z');
    expect(resolveInputConfig(inputArgs(), now).reportDir).not.toBe(resolveInputConfig(inputArgs(), now).reportDir);
  });
});

describe('defaultReportDir', () => {
  const RUN_ID = '6f1c2d3e-0000-4000-8000-000000000001';

  it('names the directory after the UTC time to the millisecond and the run id, without colons', () => {
    const dir = defaultReportDir(new Date('2026-11-21T21:37:05.123Z'), RUN_ID);
    expect(dir).toBe(path.join(DEFAULTS.reportRoot, '20261121T213705.123Z-6f1c2d3e'));
    expect(path.basename(dir)).not.toContain(':');
  });

  it('differs for runs started in the same millisecond', () => {
    const now = new Date('2026-11-21T21:37:05.123Z');
    expect(defaultReportDir(now, RUN_ID)).not.toBe(defaultReportDir(now, 'a1b2c3d4-0000-4000-8000-000000000002'));
  });

  it('sorts later runs after earlier ones, whatever their run ids', () => {
    const earlier = defaultReportDir(new Date('2026-01-02T09:59:59.999Z'), 'ffffffff-0000');
    const later = defaultReportDir(new Date('2026-01-02T10:00:00.000Z'), '00000000-0000');
    const sameSecondLater = defaultReportDir(new Date('2026-01-02T10:00:00.001Z'), '00000000-0000');
    expect([sameSecondLater, later, earlier].sort()).toEqual([earlier, later, sameSecondLater]);
  });
});

describe('environmentOf', () => {
  it('names the documented environments, a custom endpoint, and none for dry runs', () => {
    expect(environmentOf({ dryRun: false, endpoint: ENDPOINTS.production })).toBe('production');
    expect(environmentOf({ dryRun: false, endpoint: ENDPOINTS.staging })).toBe('staging');
    expect(environmentOf({ dryRun: false, endpoint: 'http://127.0.0.1:8787/api/v3/customers/segments' })).toBe('custom');
    expect(environmentOf({ dryRun: true, endpoint: ENDPOINTS.production })).toBe('none');
    expect(environmentOf({ dryRun: true, endpoint: undefined })).toBe('none');
  });
});

describe('checkEndpointUrl', () => {
  it.each([
    'https://deadpool.instaleap.io/api/v3/customers/segments',
    'http://127.0.0.1:8787/api/v3/customers/segments',
    'http://127.10.0.3/api',
    'http://localhost:8787/api',
    'http://[::1]:8787/api',
  ])('accepts %s', (url) => {
    expect(() => checkEndpointUrl(url, false)).not.toThrow();
  });

  it('refuses plain http to another machine, naming the option and the origin', () => {
    const error = usageErrorOf(() => checkEndpointUrl('http://segments.example.com/api/v3/customers/segments', false));
    expect(error.message).toContain('--endpoint');
    expect(error.message).toContain('http://segments.example.com');
    expect(error.message).toContain('--allow-insecure-http');
  });

  it('allows plain http to another machine with allowInsecureHttp', () => {
    expect(() => checkEndpointUrl('http://10.0.0.7/api', true)).not.toThrow();
  });

  it('refuses a host that only starts like a loopback name', () => {
    expect(() => checkEndpointUrl('http://127.0.0.1.example.com/api', false)).toThrow(UsageError);
    expect(() => checkEndpointUrl('http://localhost.example.com/api', false)).toThrow(UsageError);
  });

  it('refuses credentials in the URL without repeating them', () => {
    const error = usageErrorOf(() => checkEndpointUrl('https://user:s3cret-pass@segments.example.com/api', false));
    expect(error.message).toContain('--endpoint');
    expect(error.message).not.toContain('s3cret-pass');
  });

  it('refuses a URL it cannot parse, quoting it', () => {
    expect(usageErrorOf(() => checkEndpointUrl('segments.example.com/api', false)).message).toContain('"segments.example.com/api"');
  });
});

describe('parseThreshold', () => {
  it('reads a count', () => {
    expect(parseThreshold('--max-invalid', '50')).toEqual({ count: 50 });
    expect(parseThreshold('--max-invalid', '0')).toEqual({ count: 0 });
  });

  it('reads a percentage, with decimals and surrounding spaces', () => {
    expect(parseThreshold('--max-invalid', '1%')).toEqual({ percent: 1 });
    expect(parseThreshold('--max-invalid', ' 0.5% ')).toEqual({ percent: 0.5 });
    expect(parseThreshold('--max-invalid', '100%')).toEqual({ percent: 100 });
  });

  it.each(['101%', '-1', '1.5', 'abc', '%', '', '5 %', '1e3'])('rejects %j naming the option and the value', (text) => {
    const error = usageErrorOf(() => parseThreshold('--max-invalid', text));
    expect(error.message).toContain('--max-invalid');
    expect(error.message).toContain(JSON.stringify(text));
  });

  it('formats a threshold back as it was written', () => {
    for (const text of ['50', '1%', '0.5%', '100,10%']) expect(formatThreshold(parseThreshold('--max-invalid', text))).toBe(text);
  });
});

describe('exceeds', () => {
  const count = (max: number) => parseThreshold('--max-invalid', String(max));
  const percent = (text: string) => parseThreshold('--max-invalid', text);

  it('compares a count strictly: reaching it is allowed', () => {
    expect(exceeds(count(50), 50, 1000)).toBe(false);
    expect(exceeds(count(50), 51, 1000)).toBe(true);
    expect(exceeds(count(0), 1, 1000)).toBe(true);
  });

  it('compares a share of the rows strictly: reaching it is allowed', () => {
    expect(exceeds(percent('1%'), 1, 100)).toBe(false);
    expect(exceeds(percent('1%'), 2, 100)).toBe(true);
    expect(exceeds(percent('1%'), 10, 1000)).toBe(false);
    expect(exceeds(percent('1%'), 11, 1000)).toBe(true);
  });

  it('is exact where floating point division is not (7 of 100 rows is 7%, not more)', () => {
    for (let p = 1; p <= 100; p++) {
      expect(exceeds(percent(`${p}%`), p, 100)).toBe(false);
      expect(exceeds(percent(`${p}%`), 3 * p, 300)).toBe(false);
    }
    expect(exceeds(percent('0.1%'), 1, 1000)).toBe(false);
    expect(exceeds(percent('0.1%'), 2, 1000)).toBe(true);
    expect(exceeds(percent('2.5%'), 1, 40)).toBe(false);
  });

  it('with a count and a share, trips when either is exceeded', () => {
    const both = parseThreshold('--max-invalid', '100,10%');
    expect(both).toEqual({ count: 100, percent: 10 });
    expect(exceeds(both, 101, 1_000_000)).toBe(true);
    expect(exceeds(both, 11, 100)).toBe(true);
    expect(exceeds(both, 10, 100)).toBe(false);
  });

  it('the defaults refuse a small file that is mostly invalid and pass a few dirty rows in a large one', () => {
    const maxInvalid = parseThreshold('--max-invalid', DEFAULTS.maxInvalid);
    expect(exceeds(maxInvalid, 60, 60)).toBe(true);
    expect(exceeds(maxInvalid, 2, 1000)).toBe(false);
    const maxClear = parseThreshold('--max-clear', DEFAULTS.maxClear);
    expect(exceeds(maxClear, 30, 100)).toBe(true);
    expect(exceeds(maxClear, 2, 100)).toBe(false);
    const maxNotFound = parseThreshold('--max-not-found', DEFAULTS.maxNotFound);
    expect(exceeds(maxNotFound, 1000, 1000)).toBe(true);
    expect(exceeds(maxNotFound, 200, 1000)).toBe(false);
  });

  it('never trips on input without rows, and 0% trips on the first invalid row', () => {
    expect(exceeds(percent('0%'), 0, 0)).toBe(false);
    expect(exceeds(percent('0%'), 1, 1_000_000)).toBe(true);
  });
});

describe('parseShard', () => {
  it('reads i/n', () => {
    expect(parseShard('--shard', '0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('--shard', ' 3/4 ')).toEqual({ index: 3, count: 4 });
  });

  it.each(['4/4', '0/0', '1', 'a/b', '-1/4', '1/4/5', '', '1 / 4'])('rejects %j naming the option and the value', (text) => {
    const error = usageErrorOf(() => parseShard('--shard', text));
    expect(error.message).toContain('--shard');
    expect(error.message).toContain(JSON.stringify(text));
  });
});
