// Bearer-token authentication for the control server. A token grants one role on one tenant
// ('*' = every tenant, for operators): `read` (RIB reads and watches: daemons), `write` (+ registry,
// latency, load reports: servers and shard managers), `admin` (+ config apply and rollback).
// Tokens are kept only as SHA-256 digests; the file format is
//   { "tokens": [ { "name": "mesh-admin", "tenant": "default", "role": "admin", "token": "..." } ] }
// or with "sha256": "<hex>" instead of "token" so the file need not hold secrets.
// Cost: one SHA-256 and a map lookup per request. Used by control/server.ts.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApiError } from './http.js';
import * as S from './schema.js';

export type Role = 'read' | 'write' | 'admin';
const RANK: Record<Role, number> = { read: 0, write: 1, admin: 2 };

export interface Grant {
  name: string;
  tenant: string;
  role: Role;
}

const entry = S.refine(
  S.object({
    name: S.name('a token name', 64),
    tenant: S.string({ min: 1, max: 64, pattern: /^(\*|[A-Za-z0-9][A-Za-z0-9._:@-]*)$/, what: "a tenant name or '*'" }),
    role: S.literal('read', 'write', 'admin'),
    token: S.optional(S.string({ min: 16, max: 512, what: 'a token of 16..512 characters' })),
    sha256: S.optional(S.string({ min: 64, max: 64, pattern: /^[0-9a-f]{64}$/, what: '64 lowercase hex digits' })),
  }),
  (v, path) => {
    if ((v.token === undefined) === (v.sha256 === undefined)) throw new S.SchemaError(path, 'give exactly one of token and sha256');
  },
);
export const tokensFile = S.object({ tokens: S.array(entry, { min: 1, max: 10_000 }) });
export type TokenEntry = S.Infer<typeof entry>;

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class Auth {
  private byDigest = new Map<string, Grant>();

  constructor(entries: TokenEntry[]) {
    for (const e of entries) {
      const d = e.sha256 ?? digest(e.token!).toString('hex');
      this.byDigest.set(d, { name: e.name, tenant: e.tenant, role: e.role });
    }
  }

  static fromFile(path: string): Auth {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new Error(`tokens file ${path}: ${(err as Error).message}`);
    }
    try {
      return new Auth(tokensFile.check(raw, 'tokens file').tokens);
    } catch (err) {
      throw new Error(`${path}: ${(err as Error).message}`);
    }
  }

  /** The grant of a request's `Authorization: Bearer <token>`; throws UNAUTHENTICATED. */
  authenticate(header: string | undefined): Grant {
    if (!header) throw new ApiError('UNAUTHENTICATED', 'no Authorization header: send "Authorization: Bearer <token>"');
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(header);
    if (!m) throw new ApiError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
    // looked up by digest: how long a lookup takes tells nothing usable about the token itself
    const grant = this.byDigest.get(digest(m[1]).toString('hex'));
    if (!grant) throw new ApiError('UNAUTHENTICATED', 'unknown token');
    return grant;
  }

  /** Throws FORBIDDEN unless `grant` may act with `role` on `tenant`. */
  static authorize(grant: Grant, tenant: string, role: Role): void {
    if (grant.tenant !== '*' && grant.tenant !== tenant) {
      throw new ApiError('FORBIDDEN', `token "${grant.name}" is for tenant "${grant.tenant}", not "${tenant}"`);
    }
    if (RANK[grant.role] < RANK[role]) {
      throw new ApiError('FORBIDDEN', `token "${grant.name}" has role ${grant.role}; this needs ${role}`);
    }
  }
}

/** A fresh random token (32 bytes, base64url): for the embedded defaults. */
export const newToken = (): string => randomBytes(32).toString('base64url');
