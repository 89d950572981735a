// The operator's command line against a real `ringroute control` process: latency, config
// check/diff/apply/history/rollback, registry register/drain/list, and refusals with their
// messages and exit codes; then `ringroute daemon` following it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDaemon } from '../dist/host/node/daemon-client.js';

const bin = fileURLToPath(new URL('../bin/ringroute.js', import.meta.url));
const TOKEN = 'cli-admin-token-0123456789';
let dir: string;
let control: ChildProcess;
let url: string;

const cli = (...args: string[]): { code: number | null; out: string; err: string } => {
  const r = spawnSync(process.execPath, [bin, ...args, '--control', url, '--token', TOKEN], { encoding: 'utf8', cwd: dir });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ringroute-cli-'));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify({ tokens: [{ name: 'ops', tenant: '*', role: 'admin', token: TOKEN }] }));
  control = spawn(process.execPath, [bin, 'control', '--store', `embedded:${join(dir, 'store')}`, '--tokens', join(dir, 'tokens.json'), '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    control.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ringroute control: (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    control.once('exit', (code) => reject(new Error(`control exited ${code}`)));
  });
  writeFileSync(join(dir, 'latency.json'), JSON.stringify({ regions: ['east', 'west'], rtt_ms: [[0.3, 30], [30, 0.3]] }));
  mkdirSync(join(dir, 'cfg'));
  writeFileSync(join(dir, 'cfg', 'web.yaml'), 'service: web\nmode: subset\nsubset: 4\n');
  mkdirSync(join(dir, 'bad'));
  writeFileSync(join(dir, 'bad', 'web.yaml'), 'service: web\nmode: subset\nsubset: 1\nretries:\n  attempts: 9\n');
}, 30_000);

afterAll(() => {
  control?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('ringroute control + CLI', () => {
  it('latency, config and registry commands', () => {
    expect(cli('latency', 'set', join(dir, 'latency.json')).code).toBe(0);
    expect(JSON.parse(cli('latency', 'show').out)).toEqual({ regions: ['east', 'west'], rtt_us: [[300, 30000], [30000, 300]] });

    const check = cli('config', 'check', join(dir, 'bad'));
    expect(check.code).toBe(1);
    expect(check.err).toMatch(/web\.yaml: subset: must be an integer in 2\.\.10000, got 1/);
    expect(check.err).toMatch(/web\.yaml: retries\.attempts: must be an integer in 0\.\.5, got 9/);
    const refused = cli('config', 'apply', join(dir, 'bad'));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^SCHEMA: /);

    // a file the format refuses is not left out silently by apply (as by check)
    mkdirSync(join(dir, 'stray'));
    writeFileSync(join(dir, 'stray', 'web.yaml'), 'service: web\nmode: subset\nsubset: 4\n');
    writeFileSync(join(dir, 'stray', 'web.yaml.bak'), 'service: web\n');
    const stray = cli('config', 'apply', join(dir, 'stray'));
    expect(stray.code).toBe(1);
    expect(stray.err).toMatch(/^web\.yaml\.bak: /);
    expect(cli('config', 'diff', join(dir, 'cfg')).out).toMatch(/\+ web/);
    expect(cli('config', 'apply', join(dir, 'cfg'), '-m', 'first').out).toMatch(/applied version 1/);
    writeFileSync(join(dir, 'cfg', 'web.yaml'), 'service: web\nmode: subset\nsubset: 8\n');
    expect(cli('config', 'diff', join(dir, 'cfg')).out).toMatch(/~ web: subset 4 → 8/);
    expect(cli('config', 'apply', join(dir, 'cfg')).out).toMatch(/applied version 2/);
    expect(cli('config', 'rollback').out).toMatch(/rolled back to version 1 as version 3/);
    const history = cli('config', 'history').out.trim().split('\n');
    expect(history.map((l) => Number(l.trim().split(/\s+/)[0]))).toEqual([3, 2, 1]);
    expect(history[0]).toMatch(/rollback to 1/);

    expect(cli('registry', 'register', 'web', 'e1', '--region', 'east', '--address', '127.0.0.1:7001').code).toBe(0);
    const bad = cli('registry', 'register', 'web', 'e2', '--region', 'mars');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/"mars" is not in the latency matrix/);
    expect(JSON.parse(cli('registry', 'drain', 'web', 'e1').out).server.state).toBe('draining');
    expect(JSON.parse(cli('registry', 'list').out).services).toEqual([{ name: 'web', servers: 1, up: 0, shards: false, policy: true }]);
  });

  it('usage errors exit 2 and say what is wrong', () => {
    const r = spawnSync(process.execPath, [bin, 'registry', 'drain', 'web', '--control', url, '--token', TOKEN, '--colour'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --colour/);
    const noToken = spawnSync(process.execPath, [bin, 'registry', 'list', '--control', url], { encoding: 'utf8', cwd: dir, env: { ...process.env, RINGROUTE_TOKEN: '' } });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toMatch(/no token/);
  });

  it('ringroute daemon follows the control server and serves a library', async () => {
    cli('registry', 'undrain', 'web', 'e1');
    const socket = join(dir, 'd.sock');
    const daemon = spawn(process.execPath, [bin, 'daemon', '--socket', socket, '--cache', join(dir, 'dcache'), '--control', url, '--token', TOKEN], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve) => daemon.stdout!.on('data', (c: Buffer) => { if (/ringroute daemon/.test(c.toString())) resolve(); }));
      const m = await connectDaemon({ socket, client: { id: 'cli-client', region: 'west' }, services: ['web'] });
      expect(m.router.route({ service: 'web' }).server).toBe('e1');
      expect(m.meta.services.web.addresses).toEqual({ e1: '127.0.0.1:7001' });
      m.close();
    } finally {
      daemon.kill('SIGTERM');
    }
  });
});
