/**
 * A fake Supabase Realtime on loopback: a real `ws` server speaking the Phoenix channel protocol
 * the way the installed realtime-js 2.109 (over @supabase/phoenix 0.4.4) speaks it, fed by real
 * table changes captured in a real database (PGlite or server Postgres).
 *
 * What it follows, and where from:
 * - Socket: GET /realtime/v1/websocket?apikey=KEY&vsn=2.0.0 (supabase-js: realtimeUrl =
 *   <project>/realtime/v1 with ws(s); phoenix appends /websocket and `vsn`; RealtimeClient puts
 *   `apikey` in params). A wrong apikey is refused at the upgrade (HTTP 401).
 * - Serializer: vsn 2.0.0 frames are JSON arrays [join_ref, ref, topic, event, payload]
 *   (realtime-js lib/serializer.js encode/decode); vsn 1.0.0 frames are JSON objects
 *   {topic, event, payload, ref, join_ref} (RealtimeClient _initializeOptions).
 * - Heartbeat: topic 'phoenix', event 'heartbeat', answered by phx_reply {status:'ok', response:{}}
 *   with the same ref (phoenix Socket.sendHeartbeat / onConnMessage).
 * - Join: phx_join on 'realtime:<name>' with payload {config:{broadcast, presence,
 *   postgres_changes:[{event, schema, table, filter?}], private}, access_token}
 *   (RealtimeChannel.subscribe); without access_token the socket's apikey stands for it. The reply is phx_reply {status:'ok', response:{postgres_changes:
 *   [each param plus its id]}}, the id a hash of the params (supabase/realtime
 *   lib/realtime_web/channels/realtime_channel.ex add_id_to_postgres_changes: :erlang.phash2),
 *   then a `system` push {extension:'postgres_changes', status:'ok', message:'Subscribed to
 *   PostgreSQL', channel} (push_postgres_changes_subscribed). A missing or wrong access_token gets
 *   phx_reply {status:'error', response:{reason}}.
 * - Changes: event 'postgres_changes' with join_ref and ref null (a fastlane broadcast) and payload
 *   {ids:[matching binding ids], data:{schema, table, commit_timestamp, type, columns:[{name,type}],
 *   record, old_record?, errors:null}} (supabase/realtime test/realtime_web/channels/
 *   realtime_channel_test.exs "subscribes to inserts"; realtime-js RealtimeChannel
 *   _updateFilterMessage matches `ids` and data.type, _getPayloadRecords reads record/old_record
 *   through `columns`). Filters `col=eq.v`, `col=neq.v`, `col=in.(a,b)`; others get a system error.
 * - access_token pushes update the channel's token; phx_leave is answered ok and ends the channel.
 *
 * Changes come from the database: captureChanges() installs an AFTER INSERT OR UPDATE trigger on
 * the given tables that appends the row (to_jsonb) to a change log, and ChangeFeed polls that log
 * and hands each change to the server in commit order, as Realtime polls the write-ahead log through
 * a logical replication slot (supabase/realtime lib/extensions/postgres_cdc_rls/
 * replication_poller.ex). Times in the record come as to_jsonb writes them; Realtime's own WAL
 * decoding may write '2018-01-20 10:05:00+00', which src/client/supabase-rows.ts also reads (tested).
 * RLS per subscriber (opt-in: `rls` + `roles`): Realtime's postgres_cdc_rls runs every WAL record
 * through realtime.apply_rls, which, per subscription, sets `request.jwt.claims` and the role the
 * subscriber's JWT names (SET LOCAL ROLE) and selects the row by its primary key (a prepared
 * statement from realtime.build_prepared_statement_sql); a subscriber the policies hide the row from
 * silently gets nothing (supabase/realtime, the realtime.apply_rls migration). Here a join's token
 * maps to its role through `roles`, and each change is checked the same way against the real
 * database behind the fake (fake_realtime_visible(), installed by captureChanges) before it is sent
 * to that subscriber. Without `rls` every joined subscriber gets every matching row (the service
 * role's view). Not modelled: a publication check.
 *
 * Broadcast (private channels authorised by RLS on realtime.messages, fed by database triggers):
 * - Join: realtime-js sends config {broadcast: {ack, self}, presence, postgres_changes: [], private:
 *   true} and access_token (node_modules/@supabase/realtime-js/dist/module/RealtimeChannel.js
 *   subscribe()); the reply is phx_reply {status:'ok', response:{postgres_changes: []}}, which
 *   realtime-js takes as SUBSCRIBED.
 * - A private join is authorised as Realtime does it (supabase/realtime
 *   lib/realtime/tenants/authorization.ex get_read_policies_for_connection): in a transaction, a
 *   probe row is inserted into realtime.messages (topic, extension 'broadcast'), then as the
 *   subscriber's role, with set_config('role'), 'realtime.topic' = the channel's topic and
 *   'request.jwt.claims', the probe is selected; visible → allowed; the transaction is rolled back.
 *   Refused: phx_reply {status:'error', response:{reason: 'Unauthorized: You do not have
 *   permissions to read from this Channel topic: <topic>'}} (lib/realtime_web/channels/
 *   realtime_channel.ex maybe_assign_policies). Private joins need `rls` + `roles`; without them
 *   they are refused the same way. The policies are read once per join, as Realtime caches them for
 *   the channel's life (a later access_token push is not re-checked here).
 * - Messages: realtime.send / realtime.broadcast_changes insert into realtime.messages; Realtime
 *   replicates that table and broadcasts each row to channels of its topic, private rows only to
 *   private channels (lib/realtime/tenants/replication_connection.ex handle_message Insert →
 *   lib/realtime/tenants/batch_broadcast.ex). The frame is event 'broadcast', join_ref and ref null,
 *   payload {type:'broadcast', event, payload, meta:{id}} (batch_broadcast.ex
 *   send_message_and_count), sent as a JSON text frame, which realtime-js's serializer decodes like
 *   any other (lib/serializer.js decode). Here a trigger on realtime.messages (captureChanges) logs
 *   this schema's rows (payload.schema) into the change log and ChangeFeed hands them to
 *   broadcast(). The compatibility realtime.send keeps rows only while the writing session has
 *   signalbase.capture_broadcasts = 'on' (sql/20261204001100_broadcast.sql); the tests set it.
 *
 * With `gateway`, plain HTTP requests (PostgREST's /rest/v1) are proxied there: one project URL.
 *
 * Faults: dropAll() terminates every socket; refuseConnections(true) answers upgrades with 503.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { SqlExecutor } from '../../src/store/sql-client.ts';

export interface PgChange {
  type: 'INSERT' | 'UPDATE' | 'DELETE';
  schema: string;
  table: string;
  commit_timestamp: string;
  columns: { name: string; type: string }[];
  record: Record<string, unknown>;
  old_record?: Record<string, unknown>;
}

interface Binding {
  id: number;
  event: string;
  schema: string;
  table?: string;
  filter?: string;
}

interface Channel {
  topic: string;
  joinRef: string | null;
  accessToken: string | undefined;
  bindings: Binding[];
  /** Joined with config.private (receives private broadcasts; authorised by RLS at join). */
  private: boolean;
}

interface Conn {
  ws: WebSocket;
  vsn: '1.0.0' | '2.0.0';
  channels: Map<string, Channel>;
  /** Frames are handled one after another (a join may wait on the database). */
  queue: Promise<void>;
}

/** A realtime.messages row as Realtime broadcasts it. */
export interface BroadcastMessage {
  id: string;
  topic: string;
  event: string;
  private: boolean;
  payload: Record<string, unknown>;
}

interface Msg {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

export interface JoinRecord {
  topic: string;
  vsn: string;
  payload: Record<string, unknown>;
}

export interface FakeRealtimeOptions {
  apiKey: string;
  /** Tokens a join may carry; default [apiKey] (supabase-js sends the key when nobody is signed in). */
  accessTokens?: string[];
  /** Per-subscriber RLS: the database and schema the changes come from (see the file comment). */
  rls?: { db: SqlExecutor; schema: string };
  /** With `rls`: the role each token stands for (a JWT's `role` claim); a token not listed is refused at join. */
  roles?: Record<string, 'anon' | 'authenticated' | 'service_role'>;
  /**
   * The other services of the project (e.g. the fake PostgREST's URL): plain HTTP requests are
   * passed to it, so REST and Realtime share one project URL as behind Supabase's gateway.
   */
  gateway?: string;
}

/** A stand-in for :erlang.phash2 over the params: stable, so a rejoin gets the same ids. */
function paramsId(params: Record<string, unknown>): number {
  const text = JSON.stringify(Object.keys(params).sort().map((k) => [k, params[k]]));
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h & 0x7ffffff; // phash2's default range is 0..2^27-1
}

/** `col=op.value` → a predicate on a record, or the reason it is not supported. */
function parseFilter(filter: string): ((r: Record<string, unknown>) => boolean) | string {
  const m = /^([\w]+)=(eq|neq|in)\.(.*)$/.exec(filter);
  if (!m) return `Error parsing \`filter\` params: ["${filter}"]`;
  const [, col, op, raw] = m as unknown as [string, string, string, string];
  const cell = (r: Record<string, unknown>) => (r[col] === null || r[col] === undefined ? null : String(r[col]));
  if (op === 'eq') return (r) => cell(r) === raw;
  if (op === 'neq') return (r) => cell(r) !== raw;
  const list = raw.replace(/^\(|\)$/g, '').split(',').map((s) => s.trim());
  return (r) => list.includes(cell(r) ?? '');
}

export class FakeRealtime {
  readonly joins: JoinRecord[] = [];
  readonly accessTokenPushes: string[] = [];
  connectionsTotal = 0;
  /** Upgrades answered with an HTTP error instead of a socket. */
  refusedTotal = 0;
  heartbeats = 0;
  leaves = 0;
  private readonly conns = new Set<Conn>();
  private refusing = false;

  private constructor(
    private readonly opts: FakeRealtimeOptions,
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {}

  static async start(opts: FakeRealtimeOptions): Promise<FakeRealtime> {
    const http = createServer((req, res) => {
      if (!opts.gateway) return void res.writeHead(404).end();
      const up = request(new URL(req.url ?? '/', opts.gateway), { method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.headersSent || res.writeHead(502).end());
      req.pipe(up);
    });
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const server = new FakeRealtime(opts, http, wss, (http.address() as AddressInfo).port);
    http.on('upgrade', (req, socket, head) => server.onUpgrade(req, socket, head));
    return server;
  }

  /** The "project URL" to give the client (Realtime lives under /realtime/v1). */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openSockets(): number {
    return this.conns.size;
  }

  /** Joined channel topics over all sockets, with their bindings. */
  channels(): { topic: string; bindings: Binding[] }[] {
    return [...this.conns].flatMap((c) => [...c.channels.values()].map((ch) => ({ topic: ch.topic, bindings: ch.bindings })));
  }

  refuseConnections(on: boolean): void {
    this.refusing = on;
  }

  /** Cuts every socket without a close frame, as a network failure or a server restart would. */
  dropAll(): void {
    for (const c of this.conns) c.ws.terminate();
  }

  /** Changes a subscriber's role hid from it (per-subscriber RLS). */
  hiddenByRls = 0;
  /** Private joins the realtime.messages policies refused. */
  refusedPrivateJoins = 0;
  /** Broadcast frames sent (one per receiving channel). */
  broadcastsSent = 0;

  /** Sends a realtime.messages row to every channel of its topic (private rows: private channels only). */
  broadcast(msg: BroadcastMessage): number {
    let sent = 0;
    for (const conn of [...this.conns]) {
      for (const ch of [...conn.channels.values()]) {
        if (ch.topic !== `realtime:${msg.topic}` || ch.private !== msg.private) continue;
        this.send(conn, { join_ref: null, ref: null, topic: ch.topic, event: 'broadcast', payload: { type: 'broadcast', event: msg.event, payload: msg.payload, meta: { id: msg.id } } });
        sent++;
      }
    }
    this.broadcastsSent += sent;
    return sent;
  }

  /**
   * Delivers a change to every channel with a matching binding whose subscriber may see the row
   * (with `rls`); resolves with how many channels got it.
   */
  async emit(change: PgChange): Promise<number> {
    let sent = 0;
    for (const conn of [...this.conns]) {
      for (const ch of [...conn.channels.values()]) {
        const ids = ch.bindings.filter((b) => this.matches(b, change)).map((b) => b.id);
        if (ids.length === 0) continue;
        if (!(await this.visible(ch, change))) {
          this.hiddenByRls++;
          continue;
        }
        const data: Record<string, unknown> = {
          schema: change.schema,
          table: change.table,
          commit_timestamp: change.commit_timestamp,
          type: change.type,
          columns: change.columns,
          record: change.type === 'DELETE' ? {} : change.record,
          errors: null,
        };
        if (change.type !== 'INSERT') data.old_record = change.old_record ?? {};
        this.send(conn, { join_ref: null, ref: null, topic: ch.topic, event: 'postgres_changes', payload: { ids, data } });
        sent++;
      }
    }
    return sent;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Realtime's read authorisation of a private topic for the token's role (see the file comment). */
  private async mayRead(token: string, topic: string): Promise<boolean> {
    const rls = this.opts.rls;
    const role = this.opts.roles?.[token];
    if (!rls || !role) return false;
    const claims = JSON.stringify(role === 'authenticated' ? { role, sub: '00000000-0000-4000-8000-000000000001' } : { role });
    const { rows } = await rls.db.query<{ ok: boolean }>(`SELECT ${q(rls.schema)}.fake_realtime_can_read($1, $2, $3) AS ok`, [role, claims, topic]);
    return rows[0]?.ok === true;
  }

  /** apply_rls for one subscriber: can its role select this row (by primary key) right now? */
  private async visible(ch: Channel, c: PgChange): Promise<boolean> {
    const rls = this.opts.rls;
    if (!rls) return true;
    const role = ch.accessToken === undefined ? undefined : this.opts.roles?.[ch.accessToken];
    if (!role) return false;
    const claims = JSON.stringify(role === 'authenticated' ? { role, sub: '00000000-0000-4000-8000-000000000001' } : { role });
    const record = c.type === 'DELETE' ? (c.old_record ?? {}) : c.record;
    const { rows } = await rls.db.query<{ ok: boolean }>(`SELECT ${q(rls.schema)}.fake_realtime_visible($1, $2, $3, $4::jsonb) AS ok`, [role, claims, c.table, JSON.stringify(record)]);
    return rows[0]?.ok === true;
  }

  private matches(b: Binding, c: PgChange): boolean {
    if (b.event !== '*' && b.event !== c.type) return false;
    if (b.schema !== '*' && b.schema !== c.schema) return false;
    if (b.table !== undefined && b.table !== '*' && b.table !== c.table) return false;
    if (b.filter === undefined) return true;
    const pred = parseFilter(b.filter);
    return typeof pred === 'function' && pred(c.type === 'DELETE' ? (c.old_record ?? {}) : c.record);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refuse = (status: number, text: string) => {
      this.refusedTotal++;
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    if (this.refusing) return refuse(503, 'Service Unavailable');
    if (url.pathname !== '/realtime/v1/websocket') return refuse(404, 'Not Found');
    if (url.searchParams.get('apikey') !== this.opts.apiKey) return refuse(401, 'Unauthorized');
    const vsn = url.searchParams.get('vsn') ?? '1.0.0';
    if (vsn !== '1.0.0' && vsn !== '2.0.0') return refuse(400, 'Bad Request');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, vsn, channels: new Map(), queue: Promise.resolve() };
      this.connectionsTotal++;
      this.conns.add(conn);
      ws.on('message', (data) => {
        conn.queue = conn.queue.then(() => this.onFrame(conn, String(data))).catch(() => conn.ws.terminate());
      });
      ws.on('close', () => this.conns.delete(conn));
      ws.on('error', () => this.conns.delete(conn));
    });
  }

  private decode(conn: Conn, text: string): Msg {
    const json = JSON.parse(text) as unknown;
    if (conn.vsn === '2.0.0') {
      if (!Array.isArray(json) || json.length !== 5) throw new Error(`vsn 2.0.0 expects a 5-element array, got ${text.slice(0, 80)}`);
      const [join_ref, ref, topic, event, payload] = json as [string | null, string | null, string, string, Record<string, unknown>];
      return { join_ref, ref, topic, event, payload };
    }
    return json as Msg;
  }

  private send(conn: Conn, m: Msg): void {
    if (conn.ws.readyState !== WebSocket.OPEN) return;
    conn.ws.send(conn.vsn === '2.0.0' ? JSON.stringify([m.join_ref, m.ref, m.topic, m.event, m.payload]) : JSON.stringify(m));
  }

  private reply(conn: Conn, m: Msg, status: 'ok' | 'error', response: Record<string, unknown>): void {
    this.send(conn, { join_ref: m.join_ref, ref: m.ref, topic: m.topic, event: 'phx_reply', payload: { status, response } });
  }

  private async onFrame(conn: Conn, text: string): Promise<void> {
    let m: Msg;
    try {
      m = this.decode(conn, text);
    } catch {
      conn.ws.close(1003, 'bad frame'); // Phoenix drops a socket that sends what it cannot decode
      return;
    }
    if (m.topic === 'phoenix' && m.event === 'heartbeat') {
      this.heartbeats++;
      return this.reply(conn, m, 'ok', {});
    }
    switch (m.event) {
      case 'phx_join':
        return this.join(conn, m);
      case 'phx_leave':
        this.leaves++;
        conn.channels.delete(m.topic);
        return this.reply(conn, m, 'ok', {});
      case 'access_token': {
        const ch = conn.channels.get(m.topic);
        const token = m.payload.access_token;
        if (ch && typeof token === 'string') {
          ch.accessToken = token;
          this.accessTokenPushes.push(token);
        }
        return;
      }
      default:
        return this.reply(conn, m, 'error', { reason: `unknown event ${m.event}` });
    }
  }

  private async join(conn: Conn, m: Msg): Promise<void> {
    this.joins.push({ topic: m.topic, vsn: conn.vsn, payload: m.payload });
    if (!m.topic.startsWith('realtime:') || m.topic === 'realtime:') {
      return this.reply(conn, m, 'error', { reason: 'TopicNameRequired: You must provide a topic name' });
    }
    // No access_token in the join: Realtime keeps the one the socket connected with (the apikey).
    const token = m.payload.access_token ?? this.opts.apiKey;
    const allowed = this.opts.accessTokens ?? [this.opts.apiKey];
    const roleKnown = !this.opts.rls || (typeof token === 'string' && this.opts.roles?.[token] !== undefined);
    if (typeof token !== 'string' || !allowed.includes(token) || !roleKnown) {
      return this.reply(conn, m, 'error', { reason: 'Unauthorized: the access_token is missing or not valid' });
    }
    const config = (m.payload.config ?? {}) as { postgres_changes?: Record<string, unknown>[]; private?: boolean };
    const isPrivate = config.private === true;
    if (isPrivate && !(await this.mayRead(token, m.topic.slice('realtime:'.length)))) {
      this.refusedPrivateJoins++;
      return this.reply(conn, m, 'error', { reason: `Unauthorized: You do not have permissions to read from this Channel topic: ${m.topic.slice('realtime:'.length)}` });
    }
    const params = (config.postgres_changes ?? []).filter((p) => p !== null);
    const withIds: (Record<string, unknown> & { id: number })[] = params.map((p) => ({ ...p, id: paramsId(p) }));
    const bindings: Binding[] = withIds.map((p) => ({
      id: p.id,
      event: String(p.event ?? '*'),
      schema: String(p.schema ?? '*'),
      ...(typeof p.table === 'string' ? { table: p.table } : {}),
      ...(typeof p.filter === 'string' ? { filter: p.filter } : {}),
    }));
    conn.channels.set(m.topic, { topic: m.topic, joinRef: m.join_ref, accessToken: token, bindings, private: isPrivate });
    this.reply(conn, m, 'ok', { postgres_changes: withIds });
    if (bindings.length === 0) return;
    const sub = m.topic.slice('realtime:'.length);
    const bad = bindings.map((b) => (b.filter === undefined ? null : parseFilter(b.filter))).find((p): p is string => typeof p === 'string');
    this.send(conn, {
      join_ref: m.join_ref,
      ref: null,
      topic: m.topic,
      event: 'system',
      payload: bad ? { extension: 'postgres_changes', status: 'error', message: bad, channel: sub } : { extension: 'postgres_changes', status: 'ok', message: 'Subscribed to PostgreSQL', channel: sub },
    });
  }
}

const LOG = 'fake_realtime_changes';

const q = (ident: string) => `"${ident.replace(/"/g, '""')}"`;
const lit = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Installs the change capture (trigger + change log) on `tables` of `schema`. Idempotent. */
export async function captureChanges(db: SqlExecutor, schema: string, tables: readonly string[]): Promise<void> {
  const s = q(schema);
  await db.exec(`
    CREATE TABLE IF NOT EXISTS ${s}.${LOG} (
      seq bigserial PRIMARY KEY,
      tbl text NOT NULL,
      op text NOT NULL,
      rec jsonb,
      old jsonb,
      at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE OR REPLACE FUNCTION ${s}.fake_realtime_capture() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO ${s}.${LOG} (tbl, op, rec, old)
      -- A partition's row is reported under its partitioned table's name, as Realtime does with
      -- publish_via_partition_root (ml_predictions is partitioned by candle_time).
      VALUES (coalesce((SELECT c.relname::text FROM pg_class c WHERE c.oid = pg_partition_root(TG_RELID)), TG_TABLE_NAME), TG_OP, to_jsonb(NEW), CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END);
      RETURN NULL;
    END
    $fn$;
    -- apply_rls in miniature: as role r with these JWT claims, is the row with rec's primary key visible?
    CREATE OR REPLACE FUNCTION ${s}.fake_realtime_visible(r text, claims text, tbl text, rec jsonb) RETURNS boolean LANGUAGE plpgsql AS $fn$
    DECLARE
      pk text;
      ok boolean;
    BEGIN
      SELECT string_agg(format('t.%I = r.%I', a.attname, a.attname), ' AND ') INTO pk
        FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = to_regclass(format('%I.%I', ${lit(schema)}, tbl)) AND i.indisprimary;
      IF pk IS NULL THEN RETURN false; END IF;
      PERFORM set_config('request.jwt.claims', claims, true);
      PERFORM set_config('role', r, true);
      BEGIN
        -- the key compared typed (jsonb_populate_record), not as text: to_jsonb spells timestamps differently
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I t, jsonb_populate_record(NULL::%I.%I, $1) r WHERE %s)', ${lit(schema)}, tbl, ${lit(schema)}, tbl, pk) INTO ok USING rec;
      EXCEPTION WHEN insufficient_privilege THEN
        ok := false;
      END;
      PERFORM set_config('role', 'none', true);
      PERFORM set_config('request.jwt.claims', '', true);
      RETURN ok;
    END
    $fn$;
  `);
  // Broadcast: Realtime's join check, and the capture of this schema's realtime.messages rows.
  const { rows: rt } = await db.query<{ ok: boolean }>(`SELECT to_regclass('realtime.messages') IS NOT NULL AS ok`);
  if (rt[0]?.ok) {
    await db.exec(`
      CREATE OR REPLACE FUNCTION ${s}.fake_realtime_can_read(r text, claims text, topic text) RETURNS boolean LANGUAGE plpgsql AS $fn$
      DECLARE
        probe uuid := gen_random_uuid();
        ok boolean := false;
      BEGIN
        BEGIN
          INSERT INTO realtime.messages (id, topic, extension, private) VALUES (probe, topic, 'broadcast', true);
          PERFORM set_config('role', r, true);
          PERFORM set_config('realtime.topic', topic, true);
          PERFORM set_config('request.jwt.claims', claims, true);
          SELECT EXISTS (SELECT 1 FROM realtime.messages m WHERE m.id = probe) INTO ok;
          -- Realtime rolls the probe back; an exception undoes the insert and the settings here.
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'fake_realtime_probe_rollback';
        EXCEPTION WHEN raise_exception THEN
          NULL;
        END;
        RETURN ok;
      END
      $fn$;
      CREATE OR REPLACE FUNCTION ${s}.fake_realtime_capture_message() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        IF NEW.extension = 'broadcast' AND NEW.payload->>'schema' = ${lit(schema)} THEN
          INSERT INTO ${s}.${LOG} (tbl, op, rec)
          VALUES ('realtime.messages', 'BROADCAST', jsonb_build_object('id', NEW.id, 'topic', NEW.topic, 'event', NEW.event, 'private', coalesce(NEW.private, false), 'payload', NEW.payload));
        END IF;
        RETURN NULL;
      END
      $fn$;
      DROP TRIGGER IF EXISTS ${q(`fake_rt_${schema}`)} ON realtime.messages;
      CREATE TRIGGER ${q(`fake_rt_${schema}`)} AFTER INSERT ON realtime.messages
        FOR EACH ROW EXECUTE FUNCTION ${s}.fake_realtime_capture_message();
    `);
  }
  for (const t of tables) {
    await db.exec(`
      DROP TRIGGER IF EXISTS fake_realtime_capture ON ${s}.${q(t)};
      CREATE TRIGGER fake_realtime_capture AFTER INSERT OR UPDATE ON ${s}.${q(t)}
        FOR EACH ROW EXECUTE FUNCTION ${s}.fake_realtime_capture();
    `);
  }
}

/** Polls the change log of captureChanges() and emits each change, in order, to the server. */
export class ChangeFeed {
  delivered = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private readonly columns = new Map<string, { name: string; type: string }[]>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly schema: string,
    private readonly server: FakeRealtime,
    private readonly everyMs = 20,
  ) {}

  /**
   * Starts after the changes already logged, as a Realtime server streams from the point its
   * replication began: a second server on one database does not replay the first one's changes.
   */
  async start(): Promise<void> {
    const { rows } = await this.db.query<{ seq: string | number }>(`SELECT coalesce(max(seq), 0) AS seq FROM ${q(this.schema)}.${LOG}`);
    this.last = Number(rows[0]?.seq ?? 0);
    this.timer = setInterval(() => {
      this.running ??= this.poll().finally(() => (this.running = null));
    }, this.everyMs);
  }

  /** Emits what is logged now; resolves when done (tests call it to flush). */
  async flush(): Promise<void> {
    await this.running;
    await this.poll();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async columnsOf(table: string): Promise<{ name: string; type: string }[]> {
    let cols = this.columns.get(table);
    if (!cols) {
      const { rows } = await this.db.query<{ name: string; type: string }>(
        `SELECT a.attname AS name, t.typname AS type FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
        [`${q(this.schema)}.${q(table)}`],
      );
      cols = rows;
      this.columns.set(table, cols);
    }
    return cols;
  }

  private async poll(): Promise<void> {
    const { rows } = await this.db.query<{ seq: string | number; tbl: string; op: string; rec: Record<string, unknown>; old: Record<string, unknown> | null; at: Date | string }>(
      `SELECT seq, tbl, op, rec, old, at FROM ${q(this.schema)}.${LOG} WHERE seq > $1 ORDER BY seq`,
      [this.last],
    );
    for (const r of rows) {
      this.last = Number(r.seq);
      if (r.tbl === 'realtime.messages') {
        this.server.broadcast(r.rec as unknown as BroadcastMessage);
        this.delivered++;
        continue;
      }
      await this.server.emit({
        type: r.op as PgChange['type'],
        schema: this.schema,
        table: r.tbl,
        commit_timestamp: new Date(r.at).toISOString(),
        columns: await this.columnsOf(r.tbl),
        record: r.rec,
        ...(r.old ? { old_record: r.old } : {}),
      });
      this.delivered++;
    }
  }
}

/** The ml_* tables the migrations publish to supabase_realtime (sql/20261122000700_realtime.sql). */
export const PUBLISHED_TABLES = ['ml_predictions', 'ml_models', 'ml_indicator_weights', 'ml_model_drift'] as const;

/**
 * A fake Realtime fed by `schema` of `db`: change capture on the published tables, the server, and
 * the feed polling between them. close() stops all three.
 */
export async function realtimeFor(
  db: SqlExecutor,
  schema: string,
  apiKey: string,
  opts: Omit<FakeRealtimeOptions, 'apiKey'> = {},
): Promise<{ server: FakeRealtime; feed: ChangeFeed; close(): Promise<void> }> {
  await captureChanges(db, schema, PUBLISHED_TABLES);
  // roles given: per-subscriber RLS against this database (see the file comment)
  const server = await FakeRealtime.start({ apiKey, ...(opts.roles && !opts.rls ? { rls: { db, schema } } : {}), ...opts });
  const feed = new ChangeFeed(db, schema, server);
  await feed.start();
  return {
    server,
    feed,
    async close() {
      await feed.stop();
      await server.close();
    },
  };
}
