/**
 * `signalbase run [--feed SPEC] [--symbols A,B] [--timeframe TF] [--retrain-now] [--once]`: the daemon
 * (src/daemon.ts). Flags override FEED, SYMBOLS and TIMEFRAME.
 *
 * SIGINT / SIGTERM stop it gracefully (feed, ticks in flight, API with close code 1001, outbox flush,
 * store) and it exits 0; a second signal, or a shutdown that overruns its deadline, exits 1 at once.
 * A copy of the first signal within a second does not count as the second: under `npm start` (whose
 * script execs this process) npm forwards the SIGINT/SIGTERM a terminal or a supervisor already sent
 * to the whole process group, so the daemon sees it twice.
 * With --once and a replay feed it exits 0 when the replay has ended and everything is flushed.
 * A fatal error (a bug in a tick, a failed feed) exits 1 after the same shutdown.
 */
import { isTimeframe, TIMEFRAMES, type Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import { FEEDS } from '../ingest/feed-registry.ts';
import { Daemon } from '../daemon.ts';
import { parseFlags, type Command } from './command.ts';

/** Whole-shutdown deadline; the process exits 1 if stopping takes this plus a grace. */
const STOP_DEADLINE_MS = 10_000;
const EXIT_GRACE_MS = 5_000;
/** A signal this soon after the first is the same one delivered twice (group + npm's forwarding). */
const DUPLICATE_SIGNAL_MS = 1_000;

function parseSymbols(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  if (list.length === 0 || !list.every((s) => /^[A-Z0-9]+\/[A-Z0-9]+$/.test(s))) {
    throw new ConfigError(`--symbols must be symbols like LTC/BTC,XLM/BTC, not '${v}'`);
  }
  return list;
}

function parseTimeframe(v: string | undefined): Timeframe | undefined {
  if (v === undefined) return undefined;
  if (!isTimeframe(v)) throw new ConfigError(`--timeframe must be one of ${TIMEFRAMES.join(', ')}, not '${v}'`);
  return v;
}

const command: Command = {
  summary: 'run the daemon: candles → indicators → model → signals for subscribers and the store',
  usage: [
    'usage: signalbase run [--feed SPEC] [--symbols A,B] [--timeframe TF] [--retrain-now] [--once]',
    '',
    `  --feed SPEC      ${Object.values(FEEDS).map((k) => k.usage).join(' | ')}`,
    '                   (default: FEED, else the bundled sample replayed as a demo)',
    '  --symbols A,B    only these symbols (default: SYMBOLS, else every symbol of the feed)',
    '  --timeframe TF   only this timeframe (default: TIMEFRAME)',
    '  --retrain-now    file a forced retrain request and train now, beside the live signals',
    '  --once           stop cleanly when a replay feed ends (replays run as fast as possible)',
  ].join('\n'),
  async run(argv, { config, log }) {
    const { values } = parseFlags(argv, {
      feed: { type: 'string' },
      symbols: { type: 'string' },
      timeframe: { type: 'string' },
      'retrain-now': { type: 'boolean', default: false },
      once: { type: 'boolean', default: false },
    });
    const daemon = new Daemon(config, log, {
      feed: values.feed,
      symbols: parseSymbols(values.symbols),
      timeframe: parseTimeframe(values.timeframe),
      once: values.once,
      retrainNow: values['retrain-now'],
      stopDeadlineMs: STOP_DEADLINE_MS,
    });

    let signals = 0;
    let firstSignalAt = 0;
    const onSignal = (name: NodeJS.Signals) => {
      if (signals > 0 && performance.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) {
        log.debug(`${name} again within ${DUPLICATE_SIGNAL_MS} ms: the same signal delivered twice, still stopping`);
        return;
      }
      if (signals === 0) firstSignalAt = performance.now();
      signals += 1;
      if (signals > 1) {
        log.warn(`${name} again: exiting now without finishing the shutdown`);
        process.exit(1);
      }
      log.info(`${name} received: stopping (finishing the current tick, flushing the store; ${name} again to force)`);
      setTimeout(() => {
        log.error(`shutdown did not finish within ${(STOP_DEADLINE_MS + EXIT_GRACE_MS) / 1000} s; exiting`);
        process.exit(1);
      }, STOP_DEADLINE_MS + EXIT_GRACE_MS).unref();
      void daemon.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      // A start failure propagates to main: one line, exit 2 for configuration, else 1.
      await daemon.start();
      // A fatal error while running was logged (at fatal) where it happened.
      return await daemon.done.then(
        () => 0,
        () => 1,
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Everything is closed; if a stray handle keeps the event loop alive, do not hang forever.
      setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref();
    }
  },
};

export default command;
