/**
 * The pino root logger. Components take `logger.child({ module })`. Logs go to stderr so that
 * `--json` output on stdout stays machine-readable; readable (pino-pretty) on a terminal, JSON otherwise.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACT_PATHS = [
  'password',
  'key',
  'apiKey',
  'api_key',
  'token',
  'authorization',
  'serviceRoleKey',
  'databaseUrl',
  'oandaToken',
  'feedCredentials',
  '*.password',
  '*.key',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.authorization',
  '*.serviceRoleKey',
  '*.databaseUrl',
  '*.oandaToken',
  '*.feedCredentials',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
];

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  destination?: pino.DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const options: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  if (opts.destination) return pino(options, opts.destination);
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({
      ...options,
      transport: {
        target: 'pino-pretty',
        // One line per event, the component first: a terminal is read by people, not parsers.
        options: {
          destination: 2,
          colorize: true,
          translateTime: 'HH:MM:ss',
          ignore: 'pid,hostname,module',
          messageFormat: '{if module}{module}: {end}{msg}',
          singleLine: true,
        },
      },
    });
  }
  return pino(options, pino.destination({ dest: 2, sync: false }));
}

let root: Logger | undefined;

/** The process-wide logger; created on first use at `LOG_LEVEL` (configure with setRootLogger). */
export function rootLogger(): Logger {
  root ??= createLogger({ level: 'info' });
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}
