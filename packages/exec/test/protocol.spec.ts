// Tests of the event server at its edges, driven by a hand-written client of the wire protocol.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import { OP } from '../src/index.js';
import { collect, execUnavailable, skipUnless, withSession } from './helpers.js';

/** A client speaking the wire protocol by hand (what the preload library does), to drive the server's edges. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiting: ((r: { ret: number; payload: Buffer }) => void)[] = [];
  readonly closed: Promise<void>;
  private constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 8 && this.buf.length >= 8 + this.buf.readUInt32LE(4)) {
        const len = this.buf.readUInt32LE(4);
        this.waiting.shift()?.({ ret: this.buf.readInt32LE(0), payload: this.buf.subarray(8, 8 + len) });
        this.buf = this.buf.subarray(8 + len);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }
  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RawClient(s)));
      s.on('error', reject);
    });
  }
  call(op: number, payload: Uint8Array = new Uint8Array(0)): Promise<{ ret: number; payload: Buffer }> {
    const h = Buffer.alloc(8);
    h.writeUInt32LE(op, 0);
    h.writeUInt32LE(payload.length, 4);
    this.socket.write(Buffer.concat([h, payload]));
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

/** An OPEN request for a counting event of `type`/`config` on `cpu`. */
function openRequest(type: number, config: bigint, cpu: number, group = -1): Buffer {
  const p = Buffer.alloc(20 + 128);
  p.writeInt32LE(cpu, 0);
  p.writeInt32LE(-1, 4);
  p.writeInt32LE(group, 8);
  p.writeUInt32LE(8, 12);
  p.writeUInt32LE(128, 16);
  p.writeUInt32LE(type, 20);
  p.writeUInt32LE(128, 24);
  p.writeBigUInt64LE(config, 28);
  return p;
}

const CYCLES = 0x100000000n;

describe('exec: the event server at its edges', function () {
  this.timeout(30_000);

  it('a connection must say hello (credentials checked) or bind with the secret before anything else', async function () {
    skipUnless(this, execUnavailable(false));
    await withSession('virtual', async (s) => {
      const anon = await RawClient.open(s.socket);
      expect((await anon.call(OP.OPEN, openRequest(10, CYCLES, 0))).ret).to.equal(-71); // EPROTO
      const ctl = await RawClient.open(s.socket);
      const hello = await ctl.call(OP.HELLO);
      expect(hello.ret).to.equal(0);
      const scf0 = hello.payload.readUInt32LE(8); // the first emulated type
      const opened = await ctl.call(OP.OPEN, openRequest(scf0, CYCLES, 0));
      expect(opened.ret).to.equal(0);
      const handle = opened.payload.readUInt32LE(0);
      const bind = Buffer.alloc(16);
      bind.writeUInt32LE(handle, 0);
      bind.writeBigUInt64LE(opened.payload.readBigUInt64LE(16) ^ 1n, 8);
      const thief = await RawClient.open(s.socket);
      expect((await thief.call(OP.BIND, bind)).ret, 'a wrong secret').to.equal(-71);
      expect(s.server.openEvents).to.equal(1);
      // never bound: the event belongs to the control connection and goes with it
      ctl.socket.destroy();
      expect(await s.server.until((n) => n === 0)).to.equal(0);
      anon.socket.destroy();
      thief.socket.destroy();
    });
  });

  it('a request on an event keeps the server polling for the next one, and it sleeps again once none comes', async function () {
    skipUnless(this, execUnavailable(false));
    await withSession('virtual', async (s) => {
      let idles = 0;
      s.server.on('idle', () => idles++);
      const ctl = await RawClient.open(s.socket);
      const scf0 = (await ctl.call(OP.HELLO)).payload.readUInt32LE(8);
      const opened = await ctl.call(OP.OPEN, openRequest(scf0, CYCLES, 0));
      expect(s.server.polling, 'control requests do not poll').to.equal(false);
      const ev = await RawClient.open(s.socket);
      const bind = Buffer.alloc(16);
      bind.writeUInt32LE(opened.payload.readUInt32LE(0), 0);
      bind.writeBigUInt64LE(opened.payload.readBigUInt64LE(16), 8);
      expect((await ev.call(OP.BIND, bind)).ret).to.equal(0);
      expect(s.server.polling).to.equal(false);
      const idle = once(s.server, 'idle');
      const read = Buffer.alloc(4);
      read.writeUInt32LE(8, 0);
      expect((await ev.call(OP.READ, read)).ret).to.equal(8);
      await idle;
      expect(s.server.polling).to.equal(false);
      expect(idles).to.equal(1);
      ev.socket.destroy();
      ctl.socket.destroy();
      expect(await s.server.until((n) => n === 0)).to.equal(0);
    });
  });

  it('a bound event closes with its socket; another user cannot join a group it does not own', async function () {
    skipUnless(this, execUnavailable(false));
    await withSession(
      'virtual',
      async (s) => {
        const ctl = await RawClient.open(s.socket);
        const scf0 = (await ctl.call(OP.HELLO)).payload.readUInt32LE(8);
        const opened = await ctl.call(OP.OPEN, openRequest(scf0, CYCLES, 0));
        const handle = opened.payload.readUInt32LE(0);
        const ev = await RawClient.open(s.socket);
        const bind = Buffer.alloc(16);
        bind.writeUInt32LE(handle, 0);
        bind.writeBigUInt64LE(opened.payload.readBigUInt64LE(16), 8);
        expect((await ev.call(OP.BIND, bind)).ret).to.equal(0);
        const who = await ev.call(OP.WHOAMI);
        expect(who.payload.readUInt32LE(0)).to.equal(handle);

        // an unprivileged process (paranoid -1 lets it count system-wide) asks to join root's group
        const script = join(s.dir, 'join.mjs');
        writeFileSync(
          script,
          `import { connect } from 'node:net';
           const s = connect(process.argv[2]); let buf = Buffer.alloc(0); const replies = [];
           s.on('data', (d) => { buf = Buffer.concat([buf, d]); while (buf.length >= 8 && buf.length >= 8 + buf.readUInt32LE(4)) { replies.push(buf.readInt32LE(0)); buf = buf.subarray(8 + buf.readUInt32LE(4)); } if (replies.length === 3) { console.log(replies.join(' ')); s.destroy(); } });
           const send = (op, p = Buffer.alloc(0)) => { const h = Buffer.alloc(8); h.writeUInt32LE(op, 0); h.writeUInt32LE(p.length, 4); s.write(Buffer.concat([h, p])); };
           const req = (group) => { const p = Buffer.from('${openRequest(scf0, 0x1a5n, 0, Number(handle)).toString('hex')}', 'hex'); p.writeInt32LE(group, 8); return p; };
           send(${OP.HELLO}); send(${OP.OPEN}, req(${handle})); send(${OP.OPEN}, req(-1));`,
        );
        // spawn, not spawnSync: the server runs in this process and must answer meanwhile
        const r = await collect(spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, script, s.socket]));
        rmSync(script);
        expect(r.stdout.trim(), r.stderr).to.equal('0 -13 0'); // hello ok, join EACCES, a group of its own ok
        expect(await s.server.until((n) => n === 1)).to.equal(1); // its own event went with its connection

        ev.socket.destroy();
        expect(await s.server.until((n) => n === 0)).to.equal(0);
        ctl.socket.destroy();
      },
      { paranoid: -1 },
    );
  });
});
