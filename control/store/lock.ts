// The lock that keeps two processes (or two opens in one process) from using one embedded store
// directory at once; taken by openEmbeddedStore (embedded.ts), released by its close().
//
// The lock is the file LOCK holding the owner's pid. It is created atomically with its content
// (written to a private temporary file, then hard-linked to LOCK, which fails if LOCK exists), so
// a reader never sees it empty. A LOCK whose pid is no longer running is stale (its owner
// crashed) and is removed. Caveats: a pid reused by an unrelated process keeps a stale lock
// (remove LOCK by hand, the error says so); two processes breaking the same stale lock at the
// same instant can both succeed. Cost: a few small file operations.

import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from './types.js';

export const LOCK_FILE = 'LOCK';

export interface DirLock {
  release(): Promise<void>;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException)?.code;

export async function acquireDirLock(dir: string): Promise<DirLock> {
  const lockPath = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = join(dir, `${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, `${process.pid}\n`);
    try {
      await link(tmp, lockPath);
      return {
        release: async () => {
          const text = await readFile(lockPath, 'utf8').catch(() => '');
          if (text.trim() === String(process.pid)) await unlink(lockPath).catch(() => undefined);
        },
      };
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    let text: string;
    try {
      text = await readFile(lockPath, 'utf8');
    } catch (e) {
      if (code(e) === 'ENOENT') continue; // released meanwhile: try again
      throw e;
    }
    const pid = Number(text.trim());
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      throw new StoreError('UNAVAILABLE', `store directory ${dir} is locked: ${lockPath} holds ${JSON.stringify(text.slice(0, 40))}, not a process id; remove it if no process uses the store`);
    }
    if (running(pid)) {
      const who = pid === process.pid ? 'this process (open the store once and share it)' : `process ${pid}`;
      throw new StoreError('UNAVAILABLE', `store directory ${dir} is in use by ${who}: ${lockPath} is held; if that process is not a ringroute store, remove the file`);
    }
    await unlink(lockPath).catch((e) => {
      if (code(e) !== 'ENOENT') throw e;
    });
  }
  throw new StoreError('UNAVAILABLE', `store directory ${dir}: could not take ${lockPath} after 3 attempts (another process keeps taking it)`);
}
