/**
 * The `signalbase` command: parses the environment once, sets up logging, dispatches to one
 * subcommand module, and turns errors into exit codes (2 bad usage or configuration, 1 runtime).
 */
import { loadConfig } from '../config.ts';
import { SignalbaseError } from '../domain/errors.ts';
import { describeError, exitCodeFor } from '../errors.ts';
import { createLogger, setRootLogger } from '../log.ts';
import type { Command } from './command.ts';

/** Subcommands load lazily so `signalbase doctor` does not pay for TensorFlow. */
const COMMANDS: Record<string, () => Promise<{ default: Command }>> = {
  migrate: () => import('./migrate.ts'),
  doctor: () => import('./doctor.ts'),
  indicators: () => import('./indicators.ts'),
  backtest: () => import('./backtest.ts'),
  run: () => import('./run.ts'),
  train: () => import('./train.ts'),
  models: () => import('./models.ts'),
  retrain: () => import('./retrain.ts'),
  keys: () => import('./keys.ts'),
  watch: () => import('./watch.ts'),
  drift: () => import('./drift.ts'),
  scorecard: () => import('./scorecard.ts'),
};

function usage(): string {
  return [
    'usage: signalbase <command> [options]',
    '',
    'commands:',
    ...Object.keys(COMMANDS).map((name) => `  ${name}`),
    '',
    'Configuration comes from the environment; see README.md.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`| head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`signalbase: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  try {
    const config = loadConfig();
    const log = createLogger({ level: config.logLevel });
    setRootLogger(log);
    const { default: command } = await load();
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, { config, log, out: process.stdout });
  } catch (err) {
    const code = exitCodeFor(err);
    process.stderr.write(`signalbase ${name}: ${describeError(err)}\n`);
    // A typed error is an expected failure and its one line says it all; anything else is a bug.
    if (!(err instanceof SignalbaseError)) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    return code;
  }
}
