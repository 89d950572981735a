// The control server's HTTP plumbing: a tiny method+path router, JSON bodies with a size limit,
// and one error shape for every refusal: `{"error":{"code":"SCHEMA","message":"body.weight: ..."}}`.
// Cost: O(routes) per request to match (a handful), O(body) to parse. Used by control/server.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SchemaError } from './schema.js';
import { StoreError } from './store/types.js';

export type ErrorCode =
  | 'BAD_JSON' | 'SCHEMA' | 'TOO_LARGE' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND'
  | 'METHOD' | 'CONFLICT' | 'UNAVAILABLE' | 'INTERNAL';

const STATUS: Record<ErrorCode, number> = {
  BAD_JSON: 400, SCHEMA: 400, TOO_LARGE: 413, UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404,
  METHOD: 405, CONFLICT: 409, UNAVAILABLE: 503, INTERNAL: 500,
};

export class ApiError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'ApiError';
  }
  get status(): number { return STATUS[this.code]; }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown): void {
  let e: ApiError;
  if (err instanceof ApiError) e = err;
  else if (err instanceof SchemaError) e = new ApiError('SCHEMA', err.message);
  else if (err instanceof StoreError) e = new ApiError(err.code === 'UNAVAILABLE' || err.code === 'CLOSED' ? 'UNAVAILABLE' : 'INTERNAL', `store: ${err.message}`);
  else e = new ApiError('INTERNAL', err instanceof Error ? err.message : String(err));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, e.status, { error: { code: e.code, message: e.message } });
}

/** Reads a JSON body of at most `limit` bytes; refuses other content types and bad JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/.test(type)) throw new ApiError('SCHEMA', `content-type must be application/json, got ${JSON.stringify(type)}`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw new ApiError('TOO_LARGE', `body of ${declared} bytes is over the ${limit}-byte limit`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError('TOO_LARGE', `body is over the ${limit}-byte limit`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError('BAD_JSON', `body is not JSON: ${(err as Error).message}`);
  }
}

export interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
}

export type Handler = (ctx: Context) => Promise<void>;

interface Route {
  method: string;
  parts: string[];
  handler: Handler;
}

/** Routes `METHOD /a/:param/b` patterns; 404 for an unknown path, 405 for a known path and another method. */
export class Router {
  private routes: Route[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    const parts = path.split('/').filter(Boolean);
    let pathKnown = false;
    for (const r of this.routes) {
      if (r.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        if (r.parts[i].startsWith(':')) {
          try {
            params[r.parts[i].slice(1)] = decodeURIComponent(parts[i]);
          } catch {
            throw new ApiError('NOT_FOUND', `bad escape in path segment ${JSON.stringify(parts[i])}`);
          }
        } else ok = r.parts[i] === parts[i];
      }
      if (!ok) continue;
      pathKnown = true;
      if (r.method === method) return { handler: r.handler, params };
    }
    if (pathKnown) throw new ApiError('METHOD', `${method} is not allowed on ${path}`);
    throw new ApiError('NOT_FOUND', `no such endpoint: ${method} ${path}`);
  }
}
