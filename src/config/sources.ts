/**
 * Option values from outside the command line: SEGMENT_SYNC_<OPTION> environment variables and the
 * --config file (JSON or YAML). Only the options of the command being run are taken; every other
 * variable or key is set aside and listed (name and where it came from, never its value), so the
 * command can log it at debug level once it has a logger. The environment of a pod holds variables
 * nobody chose (Kubernetes service links inject SEGMENT_SYNC_SERVICE_HOST, SEGMENT_SYNC_PORT_8787_TCP…
 * when a Service of that name exists), and one config file or env preset serves several commands
 * (`token-file` means nothing to `validate`): neither may abort a command. Unknown command-line
 * flags stay errors (yargs' strict mode): those the user typed for this very command.
 *
 * The values are handed to yargs as one config object, env over file; yargs puts flags above it
 * and defaults below, so the precedence is flag > environment > config file > default.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Options } from 'yargs';
import type { parse as ParseYaml } from 'yaml';
import { UsageError } from '../core/errors.js';

/**
 * The YAML parser is loaded only when a config file is read: every command's start-up goes
 * through this module, and most runs have no --config. yaml is CommonJS, so require() keeps
 * loadConfigFile synchronous.
 */
function parseYaml(text: string): ReturnType<typeof ParseYaml> {
  return (createRequire(import.meta.url)('yaml') as { parse: typeof ParseYaml }).parse(text);
}

export const ENV_PREFIX = 'SEGMENT_SYNC_';
/** The option naming the config file, and the variable that may name it instead. */
export const CONFIG_OPTION = 'config';
export const CONFIG_ENV = `${ENV_PREFIX}CONFIG`;

/** A variable or config key that does not apply to the command; its value is never kept. */
export interface IgnoredSetting {
  /** SEGMENT_SYNC_SERVICE_HOST, or the key as written in the file. */
  name: string;
  /** 'environment', or 'config file <path>'. */
  source: string;
}

export interface OptionPresets {
  /** Values by long option name (kebab-case): the environment's over the file's. */
  values: Record<string, unknown>;
  ignored: IgnoredSetting[];
  /** The config file read, if any. */
  configPath?: string;
}

export interface PresetInput {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** The options of the command being run (yargs definitions keyed by long name); {} = takes none. */
  options: Readonly<Record<string, Options>>;
  /** For tests. */
  readFile?: (path: string) => string;
}

/** SEGMENT_SYNC_BATCH_SIZE for batch-size. */
export function envVarName(option: string): string {
  return `${ENV_PREFIX}${option.replace(/-/g, '_').toUpperCase()}`;
}

/** batch-size for batchSize (config files may use either spelling, as yargs accepted both). */
function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The command word: the first argument that is not a flag (nor the value of a top-level --config).
 * Undefined when there is none (`segment-sync --help`).
 */
export function commandOf(argv: readonly string[]): string | undefined {
  let configValue = false;
  for (const [i, arg] of argv.entries()) {
    if (configValue) {
      configValue = false;
      continue;
    }
    if (arg === '--') return argv[i + 1];
    if (arg === `--${CONFIG_OPTION}`) configValue = true;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The value of `--name v` or `--name=v` on the command line (the last one given), before any `--`. */
export function flagValue(argv: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  for (const [i, arg] of argv.entries()) {
    if (arg === '--') break;
    if (arg === `--${name}`) value = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value;
}

/** Reads the environment and the config file, keeping only what `options` defines. */
export function gatherPresets({ argv, env, options, readFile = (p) => readFileSync(p, 'utf8') }: PresetInput): OptionPresets {
  // Own properties only: `options.constructor` is not an option.
  const optionNamed = (name: string): Options | undefined => (Object.hasOwn(options, name) ? options[name] : undefined);
  const takesAny = Object.keys(options).length > 0;
  const ignored: IgnoredSetting[] = [];

  const fromEnv: Record<string, unknown> = {};
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith(ENV_PREFIX) || value === undefined) continue;
    if (variable === CONFIG_ENV && takesAny) continue; // names the file, read below
    const name = variable.slice(ENV_PREFIX.length).toLowerCase().replace(/_/g, '-');
    const option = optionNamed(name);
    if (option === undefined) {
      ignored.push({ name: variable, source: 'environment' });
      continue;
    }
    fromEnv[name] = typed(option, value, variable);
  }

  const configPath = takesAny ? (flagValue(argv, CONFIG_OPTION) ?? nonEmpty(env[CONFIG_ENV])) : undefined;
  const fromFile: Record<string, unknown> = {};
  if (configPath !== undefined) {
    const source = `config file ${configPath}`;
    for (const [key, value] of Object.entries(loadConfigFile(configPath, readFile))) {
      const name = kebab(key);
      const option = optionNamed(name);
      if (option === undefined || name === CONFIG_OPTION) {
        ignored.push({ name: key, source });
        continue;
      }
      fromFile[name] = typed(option, value, `${key} in ${configPath}`);
    }
  }
  return { values: { ...fromFile, ...fromEnv }, ignored, ...(configPath !== undefined ? { configPath } : {}) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * Booleans are spelled out here: yargs reads any string but "true" as false, so
 * SEGMENT_SYNC_DRY_RUN=1 would silently send. Other values are checked where the option is resolved.
 */
function typed(option: Options, value: unknown, where: string): unknown {
  if (option.type !== 'boolean' || typeof value !== 'string') return value;
  const text = value.trim().toLowerCase();
  if (TRUE.has(text)) return true;
  if (FALSE.has(text)) return false;
  throw new UsageError(`${where} must be true or false, got ${JSON.stringify(value)}`);
}

export function loadConfigFile(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, unknown> {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new UsageError(`--config ${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text); // YAML is a superset of JSON
  } catch (error) {
    throw new UsageError(`--config ${path} is neither valid JSON nor YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`--config ${path} must hold a mapping of option names to values`);
  }
  return parsed as Record<string, unknown>;
}
