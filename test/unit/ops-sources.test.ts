/** Option values from SEGMENT_SYNC_* and the --config file: only the command's own options are taken. */
import { UsageError } from '../../src/core/errors.js';
import { inputOptions, sendOptions } from '../../src/config/run-options.js';
import { commandOf, envVarName, flagValue, gatherPresets, type PresetInput } from '../../src/config/sources.js';

const RUN = { ...sendOptions, ...inputOptions };

function presets(over: Partial<PresetInput> & { files?: Record<string, string> } = {}) {
  const { files = {}, ...rest } = over;
  return gatherPresets({
    argv: [],
    env: {},
    options: RUN,
    readFile: (p) => {
      if (!Object.hasOwn(files, p)) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return files[p]!;
    },
    ...rest,
  });
}

describe('commandOf', () => {
  it('is the first word that is not a flag', () => {
    expect(commandOf(['run', '--env', 'staging', 'a.csv'])).toBe('run');
    expect(commandOf(['--config', 'c.yaml', 'validate', 'a.csv'])).toBe('validate');
    expect(commandOf(['--help'])).toBeUndefined();
    expect(commandOf(['report', 'merge', 'a', '--out', 'b'])).toBe('report');
  });
});

describe('flagValue', () => {
  it('reads --name v and --name=v, the last one winning, and nothing after --', () => {
    expect(flagValue(['run', '--log-format', 'json', 'a.csv'], 'log-format')).toBe('json');
    expect(flagValue(['run', '--log-format=text'], 'log-format')).toBe('text');
    expect(flagValue(['run', '--log-format=text', '--log-format', 'json'], 'log-format')).toBe('json');
    expect(flagValue(['run', '--', '--log-format', 'json'], 'log-format')).toBeUndefined();
    expect(flagValue(['run', '--log-formats', 'json'], 'log-format')).toBeUndefined();
  });
});

describe('gatherPresets, environment', () => {
  it('maps SEGMENT_SYNC_<OPTION> to the option of the command', () => {
    expect(envVarName('batch-size')).toBe('SEGMENT_SYNC_BATCH_SIZE');
    const { values, ignored } = presets({ env: { SEGMENT_SYNC_BATCH_SIZE: '200', SEGMENT_SYNC_ENV: 'staging', PATH: '/bin' } });
    expect(values).toEqual({ 'batch-size': '200', env: 'staging' });
    expect(ignored).toEqual([]);
  });

  it('ignores variables that are no option of the command, Kubernetes service links included, listing names only', () => {
    const env = {
      SEGMENT_SYNC_SERVICE_HOST: '10.0.0.7',
      SEGMENT_SYNC_SERVICE_PORT: '8787',
      SEGMENT_SYNC_PORT: 'tcp://10.0.0.7:8787',
      SEGMENT_SYNC_PORT_8787_TCP: 'tcp://10.0.0.7:8787',
      SEGMENT_SYNC_PORT_8787_TCP_ADDR: '10.0.0.7',
      SEGMENT_SYNC_TOKEN: 'tok_secret_value',
      SEGMENT_SYNC_ENV: 'production',
      SEGMENT_SYNC_LAYOUT: 'wide',
    };
    const { values, ignored } = presets({ env, options: inputOptions });
    expect(values).toEqual({ layout: 'wide' });
    expect(ignored.map((i) => i.name).sort()).toEqual(
      [
        'SEGMENT_SYNC_ENV',
        'SEGMENT_SYNC_PORT',
        'SEGMENT_SYNC_PORT_8787_TCP',
        'SEGMENT_SYNC_PORT_8787_TCP_ADDR',
        'SEGMENT_SYNC_SERVICE_HOST',
        'SEGMENT_SYNC_SERVICE_PORT',
        'SEGMENT_SYNC_TOKEN',
      ].sort(),
    );
    expect(ignored.every((i) => i.source === 'environment')).toBe(true);
    expect(JSON.stringify(ignored)).not.toContain('tok_secret_value');
  });

  it('takes nothing for a command without presets (the emulator): SEGMENT_SYNC_TOKEN is not its token', () => {
    const { values, ignored } = presets({
      env: { SEGMENT_SYNC_TOKEN: 'x', SEGMENT_SYNC_PORT: 'tcp://1.2.3.4:8787', SEGMENT_SYNC_CONFIG: 'c.yaml' },
      options: {},
    });
    expect(values).toEqual({});
    expect(ignored.map((i) => i.name).sort()).toEqual(['SEGMENT_SYNC_CONFIG', 'SEGMENT_SYNC_PORT', 'SEGMENT_SYNC_TOKEN']);
  });

  it('reads booleans spelled true/false/1/0/yes/no and refuses anything else, naming the variable', () => {
    expect(presets({ env: { SEGMENT_SYNC_DRY_RUN: '1', SEGMENT_SYNC_FRESH: 'no', SEGMENT_SYNC_YES: 'TRUE' } }).values).toEqual({
      'dry-run': true,
      fresh: false,
      yes: true,
    });
    const error = (() => {
      try {
        presets({ env: { SEGMENT_SYNC_DRY_RUN: 'maybe' } });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain('SEGMENT_SYNC_DRY_RUN');
    expect((error as Error).message).toContain('"maybe"');
  });
});

describe('gatherPresets, config file', () => {
  const yaml =
    'token-file: /var/run/secrets/token\nstate-dir: /data/state\nlog-format: json\ngrace: 30\nbatchSize: 50\nno-such-option: 1\n';

  it('reads the file named by --config (YAML or JSON), kebab or camelCase keys', () => {
    const { values, ignored, configPath } = presets({ argv: ['run', '--config', 'c.yaml', 'a.csv'], files: { 'c.yaml': yaml } });
    expect(configPath).toBe('c.yaml');
    expect(values).toEqual({
      'token-file': '/var/run/secrets/token',
      'state-dir': '/data/state',
      'log-format': 'json',
      grace: 30,
      'batch-size': 50,
    });
    expect(ignored).toEqual([{ name: 'no-such-option', source: 'config file c.yaml' }]);
    const json = presets({ argv: ['run', '--config=c.json'], files: { 'c.json': '{"rate": 2}' } });
    expect(json.values).toEqual({ rate: 2 });
  });

  it('ignores the keys of run in the file a validate run is given', () => {
    const { values, ignored } = presets({ argv: ['validate', '--config', 'c.yaml'], options: inputOptions, files: { 'c.yaml': yaml } });
    expect(values).toEqual({ 'log-format': 'json' });
    expect(ignored.map((i) => i.name).sort()).toEqual(['batchSize', 'grace', 'no-such-option', 'state-dir', 'token-file']);
  });

  it('takes the file from SEGMENT_SYNC_CONFIG when --config is not given', () => {
    const { values, configPath, ignored } = presets({
      env: { SEGMENT_SYNC_CONFIG: 'env.yaml' },
      files: { 'env.yaml': 'rate: 3\n', 'flag.yaml': 'rate: 4\n' },
    });
    expect(configPath).toBe('env.yaml');
    expect(values).toEqual({ rate: 3 });
    expect(ignored).toEqual([]);
    expect(
      presets({
        argv: ['--config', 'flag.yaml'],
        env: { SEGMENT_SYNC_CONFIG: 'env.yaml' },
        files: { 'env.yaml': 'rate: 3\n', 'flag.yaml': 'rate: 4\n' },
      }).values,
    ).toEqual({ rate: 4 });
  });

  it('lets the environment win over the file', () => {
    const { values } = presets({
      argv: ['--config', 'c.yaml'],
      env: { SEGMENT_SYNC_BATCH_SIZE: '5' },
      files: { 'c.yaml': 'batch-size: 10\nrate: 0\n' },
    });
    expect(values).toEqual({ 'batch-size': '5', rate: 0 });
  });

  it('keeps list values of the file as lists (--segment-columns as a YAML list)', () => {
    const { values } = presets({
      argv: ['--config', 'c.yaml'],
      files: { 'c.yaml': 'segment-columns:\n  - tier\n  - Churn risk=churn_risk\n' },
    });
    expect(values).toEqual({ 'segment-columns': ['tier', 'Churn risk=churn_risk'] });
  });

  it.each([
    ['missing.yaml', undefined, 'cannot be read (ENOENT)'],
    ['bad.yaml', 'a: [1\n', 'neither valid JSON nor YAML'],
    ['list.yaml', '- a\n- b\n', 'must hold a mapping'],
  ])('refuses %s with a UsageError naming --config', (file, text, expected) => {
    const files: Record<string, string> = text === undefined ? {} : { [file]: text };
    expect(() => presets({ argv: ['--config', file], files })).toThrow(UsageError);
    expect(() => presets({ argv: ['--config', file], files })).toThrow(expected);
  });
});
