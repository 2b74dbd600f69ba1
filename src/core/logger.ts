/**
 * The run's logger (winston), with the redaction format (see ./log.ts for the line shapes).
 *
 * winston is imported here only, and only src/cli/execute.ts imports this module: the bundle puts
 * winston in the job's chunk, loaded when a run starts, so --help, usage errors and the emulator
 * never load it. Bundled, it is one file read and compiled, instead of ~90 CommonJS modules of
 * winston and its dependencies resolved and compiled one by one from node_modules.
 */
import winston from 'winston';
import { isJsonFormat, type Logger, type LogOptions } from './log.js';
import { redactText, redactValue } from './secrets.js';

export function createLogger(options: LogOptions): Logger {
  const stream = options.stream ?? process.stdout;
  const json = isJsonFormat(options.format, stream);
  return winston.createLogger({
    level: options.level,
    defaultMeta: { runId: options.runId },
    format: winston.format.combine(redact(options.secrets)(), winston.format.timestamp(), json ? winston.format.json() : readable()),
    transports: [new winston.transports.Stream({ stream })],
  });
}

const redact = (secrets: () => readonly string[]) =>
  winston.format((info) => {
    const extra = secrets();
    // Meta fields are merged into `info`, so its own keys are redacted like any nested key.
    for (const key of Object.keys(info)) {
      const value = redactValue(info[key], extra);
      const cleanKey = redactText(key, extra);
      if (cleanKey !== key) delete info[key];
      info[cleanKey] = value;
    }
    return info;
  });

function readable(): winston.Logform.Format {
  return winston.format.printf((info) => {
    const { level, message, timestamp, runId: _runId, ...rest } = info as Record<string, unknown>;
    const time = String(timestamp).slice(11, 19);
    const fields = Object.entries(rest)
      .filter(([key]) => typeof key === 'string')
      .map(([key, v]) => `${key}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${time} ${String(level).padEnd(5)} ${String(message)}${fields ? `  ${fields}` : ''}`;
  });
}
