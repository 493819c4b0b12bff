/**
 * Static files under `/` (the dashboard), from one directory and nothing outside it: the path is
 * decoded once, NUL bytes refused, resolved against the root, and the real path (symlinks followed)
 * must still be inside the root's real path. Only regular files are served; `/` serves index.html.
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { DASHBOARD_CSP, SECURITY_HEADERS } from './respond.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** The file for `pathname` under `root`, or null when there is none or the path escapes the root. */
export async function resolveStatic(root: string, pathname: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const absRoot = resolve(root);
  const candidate = resolve(absRoot, `.${rel.startsWith('/') ? rel : `/${rel}`}`);
  if (!inside(absRoot, candidate)) return null;
  try {
    const [realRoot, real] = await Promise.all([realpath(absRoot), realpath(candidate)]);
    if (!inside(realRoot, real)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

/** Streams the file; `head` sends the headers only. */
export async function sendFile(res: ServerResponse, file: string, head: boolean): Promise<void> {
  const st = await stat(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Security-Policy': DASHBOARD_CSP,
    'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(st.size),
    'Cache-Control': 'no-cache',
  });
  if (head) {
    res.end();
    return;
  }
  await new Promise<void>((ok, fail) => {
    const stream = createReadStream(file);
    stream.on('error', (err) => {
      res.destroy(err);
      fail(err);
    });
    res.on('close', () => {
      stream.destroy();
      ok();
    });
    stream.pipe(res);
  });
}
