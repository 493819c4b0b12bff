// The daemon's HTTP API with the key from the key form. Failures become ApiFailure with a message
// in plain words for the page; the key goes in the Authorization header, never in a URL.

export class ApiFailure extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
    this.code = code;
  }
}

/** What to tell the operator about a failed call. */
function explain(status, code, serverMessage) {
  switch (status) {
    case 0:
      return 'The daemon cannot be reached; it may have stopped. The page keeps retrying.';
    case 401:
      return 'The key was refused (401): it is unknown, revoked or expired. Enter another key.';
    case 403:
      return `This key may not do that (403): ${serverMessage}`;
    case 429:
      return 'This key reached its hourly request limit (429); the page retries later. Create the dashboard key with a higher --rate-limit.';
    case 503:
      return `The daemon is not ready (503): ${serverMessage}`;
    default:
      return `The request failed (${status}${code ? ` ${code}` : ''}): ${serverMessage}`;
  }
}

export class Api {
  constructor(key, onUnauthorized) {
    this.key = key;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, body) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        cache: 'no-store',
      });
    } catch {
      throw new ApiFailure(0, 'UNREACHABLE', explain(0));
    }
    const json = await res.json().catch(() => null);
    if (res.ok) return json;
    const code = json?.error?.code ?? '';
    const message = json?.error?.message ?? res.statusText;
    if (res.status === 401) this.onUnauthorized?.();
    throw new ApiFailure(res.status, code, explain(res.status, code, message));
  }

  get(path) {
    return this.request('GET', path);
  }

  post(path, body) {
    return this.request('POST', path, body);
  }
}
