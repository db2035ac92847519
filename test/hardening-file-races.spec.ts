// Hardening: a file input swapped or grown between the checks and the read is still refused, and the read never blocks or runs past the cap.

import { execFileSync, spawnSync } from 'node:child_process';
import fs, { mkdtempSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRegularFile } from '@cspmu/kernel';
import { expect } from 'chai';
import { expectCode } from './helpers/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'cspmu-races-'));

/**
 * In a child process (a blocking open would hang this one for good): read `path`
 * with readRegularFile after swapping it for a FIFO with no writer between
 * the stat and the open, as another process could. Prints what came back.
 */
const SWAP_AFTER_STAT = `
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { execFileSync } from 'node:child_process';
const [kernelUrl, path] = process.argv.slice(1);
const realOpen = fs.openSync;
fs.openSync = (p, flags, mode) => {
  fs.openSync = realOpen;
  syncBuiltinESMExports();
  fs.unlinkSync(p);
  execFileSync('mkfifo', [p]);
  return realOpen(p, flags, mode);
};
syncBuiltinESMExports();
const { readRegularFile } = await import(kernelUrl);
try {
  console.log(JSON.stringify({ bytes: readRegularFile(path, { what: 'platform file' }).length }));
} catch (e) {
  console.log(JSON.stringify({ code: e.code, message: e.message }));
}
`;

describe('Hardening: file inputs that change under the reader', () => {
  after(() => execFileSync('rm', ['-rf', dir]));

  it('a regular file swapped for a FIFO after the stat is refused by the check after open, without blocking (EINVAL)', () => {
    const path = join(dir, 'platform.json');
    writeFileSync(path, '{}');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SWAP_AFTER_STAT, import.meta.resolve('@cspmu/kernel'), path], {
      encoding: 'utf8',
      // Only a guard against a hang (a blocking open of a FIFO with no writer never returns); a healthy run takes well under a second.
      timeout: 15_000,
    });
    expect(r.signal, `the reader blocked on the FIFO (stderr: ${r.stderr})`).to.equal(null);
    expect(JSON.parse(r.stdout)).to.deep.equal({ code: 'EINVAL', message: `EINVAL: platform file '${path}' is a FIFO, not a regular file` });
  });

  it('a Unix socket is refused from its stat as a socket (EINVAL), not as a file that cannot be opened', async () => {
    const path = join(dir, 'sock.json');
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expectCode(() => readRegularFile(path, { what: 'platform file' }), 'EINVAL', `platform file '${path}' is a socket, not a regular file`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('reads at most cap + 1 bytes of a file that grows past the cap (a /proc file stats as 0 bytes)', () => {
    const asked: number[] = [];
    const realRead = fs.readSync;
    fs.readSync = ((fd: number, buf: NodeJS.ArrayBufferView, ...rest: never[]) => {
      asked.push(buf.byteLength);
      return (realRead as (...a: unknown[]) => number)(fd, buf, ...rest);
    }) as typeof fs.readSync;
    syncBuiltinESMExports();
    try {
      expectCode(() => readRegularFile('/proc/self/maps', { what: 'APMT', maxBytes: 10 }), 'EINVAL', 'grew past the 10-byte cap while being read');
    } finally {
      fs.readSync = realRead;
      syncBuiltinESMExports();
    }
    expect(asked).to.deep.equal([11]);
  });
});
