/**
 * What every subcommand shares: its flag parsing, its context, and how it reports failure.
 * A subcommand is a module whose default export is a Command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../errors.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

export interface CommandContext {
  config: Config;
  log: Logger;
  /** Where a command's data goes: stdout. Logs go to stderr. */
  out: NodeJS.WritableStream;
}

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs that turns unknown or malformed flags into a ConfigError (exit code 2). */
export function parseFlags<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new ConfigError((err as Error).message.split('\n')[0]!);
  }
}

export function writeJson(out: NodeJS.WritableStream, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}
