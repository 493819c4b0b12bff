// The live stream: /v1/stream with reconnects (1, 2, 5, 10 s, jittered) and `since` resume from the
// last signal seen, so a reconnect leaves no gap in the table.
//
// Browsers cannot set headers on a WebSocket, and DESIGN.md allows the key as ?key= for the
// stream only: this upgrade request is the one place the key goes on a URL. It is not the page's
// URL (which never holds the key), and the server never logs query strings.

const STEPS_MS = [1000, 2000, 5000, 10000];

export class LiveStream {
  /**
   * @param {{ key: string, since: string | null, onMessage(msg): void, onState(state: string, detail?: string): void }} opts
   */
  constructor(opts) {
    this.opts = opts;
    this.since = opts.since;
    this.attempt = 0;
    this.closed = false;
    this.ws = null;
    this.timer = null;
  }

  start() {
    this.connect();
  }

  stop() {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close(1000, 'page closed');
  }

  /** Called for every signal shown, so a reconnect resumes after it. */
  seen(signalId) {
    this.since = signalId;
  }

  connect() {
    if (this.closed) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/v1/stream?key=${encodeURIComponent(this.opts.key)}`;
    this.opts.onState('connecting');
    const ws = (this.ws = new WebSocket(url));
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      this.attempt = 0;
      this.opts.onState('live');
      ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'], ...(this.since ? { since: this.since } : {}) }));
    });
    ws.addEventListener('message', (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (msg.type === 'signal' && msg.data?.id) this.since = msg.data.id;
      this.opts.onMessage(msg);
    });
    ws.addEventListener('close', (ev) => {
      if (this.closed) return;
      // An upgrade refused (bad key) closes before opening; the HTTP calls report the reason.
      const detail = opened ? `closed (${ev.code})` : 'could not connect';
      const base = STEPS_MS[Math.min(this.attempt, STEPS_MS.length - 1)];
      this.attempt += 1;
      const delay = Math.round(base * (0.8 + Math.random() * 0.4));
      this.opts.onState('reconnecting', `${detail}; retrying in ${Math.round(delay / 1000)} s`);
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }
}
