// The daemon feeding a shared router (host/node/shared-daemon.ts): a registry write reaches a
// thread attached to the shared router; a second process-wide connection is not needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Auth } from '../dist/control/auth.js';
import { ControlClient } from '../dist/control/client.js';
import { startControlServer, type ControlServer } from '../dist/control/server.js';
import { openEmbeddedStore } from '../dist/control/store/embedded.js';
import type { RibStore } from '../dist/control/store/types.js';
import { RibDaemon } from '../dist/host/node/daemon.js';
import { connectSharedDaemon } from '../dist/host/node/shared-daemon.js';

const TOKEN = 'shared-daemon-token-0123456789';
let dir: string, store: RibStore, control: ControlServer, admin: ControlClient, daemon: RibDaemon;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringroute-shared-daemon-'));
  store = await openEmbeddedStore(join(dir, 'store'));
  control = await startControlServer({ store, auth: new Auth([{ name: 'a', tenant: '*', role: 'admin', token: TOKEN }]), xrsTickMs: 0 });
  admin = new ControlClient(control.url, TOKEN);
  await admin.setLatency({ regions: ['east'], rtt_ms: [[0.3]] });
  await admin.applyConfig({ services: { web: { service: 'web', mode: 'random' } } });
  await admin.register('web', 'w1', { region: 'east', address: '127.0.0.1:1001' });
  daemon = await RibDaemon.start({ store, tenant: 'default', socket: join(dir, 'd.sock'), cacheDir: join(dir, 'cache') });
});

afterAll(async () => {
  await daemon?.close();
  await admin?.close();
  await control?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('daemon-to-workers: each push is published once for every attached thread', async () => {
  const s = await connectSharedDaemon({ socket: join(dir, 'd.sock'), client: { id: 'svc-1', region: 'east' }, services: ['web'] });
  try {
    const thread = s.shared.attach({ thread: 1 });
    expect(thread.route({ service: 'web' }).server).toBe('w1');
    await admin.drain('web', 'w1');
    await admin.register('web', 'w2', { region: 'east', address: '127.0.0.1:1002' });
    const t0 = Date.now();
    while (thread.tryRoute({ service: 'web' }) instanceof Error || thread.route({ service: 'web' }).server !== 'w2') {
      if (Date.now() - t0 > 5000) throw new Error('the shared router never got the new data');
      await new Promise((r) => setTimeout(r, 5));
    }
    for (let i = 0; i < 50; i++) expect(thread.route({ service: 'web' }).server).toBe('w2');
    expect(s.meta.services.web.addresses).toEqual({ w1: '127.0.0.1:1001', w2: '127.0.0.1:1002' });
  } finally {
    s.close();
  }
});
