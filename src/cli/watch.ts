/**
 * `signalbase watch`: live signals, one JSON object (the Signal) a line on stdout; connection
 * status, model and drift news on stderr. Reconnects by itself (signalbase/client). Ctrl-C exits 0.
 *
 * Two sources, one output:
 * - a daemon's /v1/stream (default): resumes after the last signal printed. With no --key and a
 *   local daemon (--url omitted, or on a loopback host) it uses the key the daemon wrote to
 *   SIGNALBASE_DATA_DIR/stream-key (src/daemon/local-key.ts): `npm start` in one terminal and
 *   `signalbase watch` in another needs no setup.
 * - Supabase Realtime (--supabase, or an http(s):// --url): the rows the daemons insert into
 *   ml_predictions, as postgres_changes. Explicit rather than automatic when SUPABASE_URL is set,
 *   so an operator's plain `signalbase watch` keeps meaning the local daemon.
 */
import { createSignalClient, normalizeSymbol, SignalClientError, type Signal, type SignalClientOptions } from '../client/index.ts';
import type { Config } from '../config.ts';
import { localKeyPath, readLocalStreamKey } from '../daemon/local-key.ts';
import { ConfigError } from '../errors.ts';
import { parseFlags, type Command } from './command.ts';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const ISO_OR_ID = /^[\w:.+-]{1,64}$/;

function status(line: string): void {
  process.stderr.write(`watch: ${line}\n`);
}

interface WatchFlags {
  url?: string | undefined;
  key?: string | undefined;
  since?: string | undefined;
  token?: string | undefined;
}

/** The daemon's /v1/stream: --url or the local port, --key or the local daemon's stream key. */
function daemonSource(values: WatchFlags, config: Config): { options: SignalClientOptions; label: string } {
  const url = values.url ?? `ws://127.0.0.1:${config.port}/v1/stream`;
  let host: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error('protocol');
    host = u.hostname;
  } catch {
    throw new ConfigError(`--url ${url} must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:${config.port}/v1/stream (or a Supabase project's https:// URL)`);
  }
  let key = values.key;
  if (key === undefined) {
    if (!LOOPBACK.has(host)) throw new ConfigError(`watch needs --key KEY for ${url} (create one there with: signalbase keys create --name NAME --type stream)`);
    key = readLocalStreamKey(config.dataDir) ?? undefined;
    if (key === undefined) {
      throw new ConfigError(
        `no --key and no local key in ${localKeyPath(config.dataDir)}: a daemon on the embedded store writes one at start when the store has no key; ` +
          'otherwise pass --key (signalbase keys create --name NAME --type stream)',
      );
    }
  }
  return { options: { transport: 'daemon', url, key, ...(values.since !== undefined ? { since: values.since } : {}) }, label: url };
}

/** Supabase Realtime: --url or SUPABASE_URL, --key or SUPABASE_SERVICE_ROLE_KEY, tables in SIGNALBASE_SCHEMA. */
function supabaseSource(values: WatchFlags, config: Config): { options: SignalClientOptions; label: string } {
  if (values.token !== undefined && values.token.trim() === '') throw new ConfigError('--token must be a JWT');
  if (values.since !== undefined) {
    throw new ConfigError('--since needs the daemon stream: Supabase Realtime does not replay; query ml_predictions for what came before');
  }
  const url = values.url ?? config.supabase?.url;
  if (url === undefined) throw new ConfigError('watch --supabase needs the project URL: --url https://REF.supabase.co or SUPABASE_URL');
  if (!/^https?:\/\//i.test(url)) throw new ConfigError(`--url ${url} must be the project's https:// URL with --supabase, e.g. https://REF.supabase.co`);
  const key = values.key ?? config.supabase?.serviceRoleKey;
  if (key === undefined) throw new ConfigError(`watch --supabase needs --key KEY: the project's anon key (with --token, a user's JWT) or a service-role key`);
  return {
    options: { transport: 'supabase', supabaseUrl: url, supabaseKey: key, schema: config.schema, ...(values.token !== undefined ? { accessToken: values.token } : {}) },
    label: `Supabase Realtime at ${new URL(url).host}`,
  };
}

const command: Command = {
  summary: 'print live signals from a daemon or from Supabase Realtime, one JSON object a line',
  usage: [
    'usage: signalbase watch [--url WS_URL] [--key KEY] [--symbols A,B] [--since ID|ISO] [--json]',
    '       signalbase watch --supabase [--url https://REF.supabase.co] [--key KEY] [--token JWT] [--symbols A,B]',
    '',
    '--url       the daemon stream (default ws://127.0.0.1:$PORT/v1/stream); an http(s):// URL is a',
    '            Supabase project and implies --supabase',
    '--key       daemon: an API key of any type; without it, a local daemon\'s SIGNALBASE_DATA_DIR/stream-key.',
    '            Supabase: the project\'s anon key with --token, or a service-role key; without it,',
    '            SUPABASE_SERVICE_ROLE_KEY',
    '--token     Supabase: a signed-in user\'s JWT. RLS lets `authenticated` read signals; the anon',
    '            key alone receives none',
    '--supabase  read Supabase Realtime (postgres_changes on ml_predictions in SIGNALBASE_SCHEMA)',
    '            instead of a daemon; the project URL defaults to SUPABASE_URL. Not automatic when',
    '            SUPABASE_URL is set: plain `signalbase watch` stays the local daemon',
    '--symbols   only these symbols (default: all)',
    '--since     daemon only: first replay the stored signals after this signal id or ISO 8601 time',
    '            (Realtime has no replay: what was inserted while disconnected is not printed)',
    '--json      accepted for symmetry: the output is always one JSON Signal a line',
    '',
    'Status lines go to stderr; it reconnects by itself (from a daemon without gaps or duplicates);',
    'Ctrl-C exits 0.',
  ].join('\n'),

  async run(argv, { config, out }) {
    const { values } = parseFlags(argv, {
      url: { type: 'string' },
      key: { type: 'string' },
      symbols: { type: 'string' },
      since: { type: 'string' },
      token: { type: 'string' },
      supabase: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });
    const symbols = values.symbols === undefined ? ['*'] : values.symbols.split(',').map((s) => s.trim()).filter(Boolean).map(normalizeSymbol);
    if (symbols.length === 0 || !symbols.every((s) => s === '*' || /^[A-Z0-9]+\/[A-Z0-9]+$/.test(s))) {
      throw new ConfigError(`--symbols ${values.symbols} must be symbols like LTC/BTC,XLM/BTC`);
    }
    if (values.since !== undefined && !ISO_OR_ID.test(values.since)) throw new ConfigError(`--since ${values.since} must be a signal id or an ISO 8601 time`);

    const supabase = values.supabase || /^https?:\/\//i.test(values.url ?? '');
    const { options, label } = supabase ? supabaseSource(values, config) : daemonSource(values, config);
    const client = createSignalClient(options);
    let fatal: SignalClientError | undefined;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));

    client.onStatus((e) => {
      if (e.status === 'connecting') status(`connecting to ${label}`);
      else if (e.status === 'open') status(`connected to ${label}${e.since ? `, resuming after ${e.since}` : ''}`);
      else if (e.status === 'reconnecting') status(`${e.error?.message ?? 'disconnected'}; reconnecting in ${(e.delayMs! / 1000).toFixed(1)} s (attempt ${e.attempt})`);
      else if (e.error) {
        fatal = e.error;
        finish();
      }
    });
    client.onError((err) => status(err.message));
    client.subscribeToModelUpdates((m) => status(`model ${String(m.event ?? 'update')}${m.version ? ` ${String(m.version)}` : ''}`));
    client.subscribeToDrift((d) => status(`drift ${JSON.stringify(d)}`));
    const print = (s: Signal) => out.write(`${JSON.stringify(s)}\n`);
    for (const s of symbols) client.subscribeToPredictions(s, print);

    const stop = () => finish();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await finished;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await client.close();
    }
    if (fatal) throw fatal;
    return 0;
  },
};

export default command;
