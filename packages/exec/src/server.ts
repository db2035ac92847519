/**
 * `cspmu serve`: the emulated machine's perf core over a Unix socket, for the preload library. A process's
 * control connection is checked once (SO_PEERCRED, then CAP_PERFMON/CAP_SYS_ADMIN and perf_event_paranoid as
 * the emulated core applies them); each event then gets a socket of its own, and the event is closed when the
 * last copy of that socket is, so a killed client leaves nothing open.
 */
import { EventEmitter } from 'node:events';
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { KernelError, kerr } from '@cspmu/kernel';
import type { Machine } from '@cspmu/system';
import { callerOf, peerCredentials } from './credentials.js';
import { HEADER_BYTES, MAX_REQUEST, OP } from './protocol.js';
import { type Owner, type ServedEvent, ServedEvents } from './served-events.js';
import type { TypeMap } from './views.js';

export interface ServerOptions {
  /** `wall`: virtual time follows CLOCK_MONOTONIC. `virtual`: it moves only when a client sleeps. */
  readonly clock: 'wall' | 'virtual';
  readonly types: TypeMap;
  /** CPUs the host kernel has: software events on higher CPUs are the emulated machine's. */
  readonly hostCpus: number;
  /** The SO_PEERCRED helper binary. */
  readonly peercred: string;
  /** After a request on an event, keep polling for the next one this long (ms) instead of sleeping (default 2). */
  readonly pollAfterRequestMs?: number;
}

const EIO = 5;
const EPROTO = 71;

type Reply = [number, Buffer?];

class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private busy = false;
  owner: Owner | undefined;
  served: ServedEvent | undefined;

  constructor(
    readonly socket: Socket,
    private readonly handle: (c: Connection, op: number, payload: Buffer) => Reply | Promise<Reply>,
  ) {
    socket.setNoDelay?.(true);
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.pump();
    });
  }

  private pump(): void {
    while (!this.busy && this.buf.length >= HEADER_BYTES) {
      const op = this.buf.readUInt32LE(0);
      const len = this.buf.readUInt32LE(4);
      if (len > MAX_REQUEST) return void this.socket.destroy();
      if (this.buf.length < HEADER_BYTES + len) return;
      const payload = this.buf.subarray(HEADER_BYTES, HEADER_BYTES + len);
      this.buf = this.buf.subarray(HEADER_BYTES + len);
      let r: Reply | Promise<Reply>;
      try {
        r = this.handle(this, op, payload);
      } catch (e) {
        r = [failure(e)];
      }
      if (Array.isArray(r)) this.send(r);
      else {
        this.busy = true;
        r.then(
          (v) => this.send(v),
          (e) => this.send([failure(e)]),
        ).finally(() => {
          this.busy = false;
          this.pump();
        });
      }
    }
  }

  private send([ret, payload]: Reply): void {
    if (this.socket.destroyed) return;
    const len = payload?.length ?? 0;
    const out = Buffer.allocUnsafe(HEADER_BYTES + len);
    out.writeInt32LE(ret, 0);
    out.writeUInt32LE(len, 4);
    if (payload) payload.copy(out, HEADER_BYTES);
    this.socket.write(out);
  }
}

function failure(e: unknown): number {
  if (e instanceof KernelError) return -e.errno;
  process.stderr.write(`cspmu serve: ${e instanceof Error ? e.stack : String(e)}\n`);
  return -EIO;
}

export class EventServer extends EventEmitter<{ events: [open: number]; idle: [] }> {
  readonly events: ServedEvents;
  private server: Server | undefined;
  private path: string | undefined;
  private readonly connections = new Set<Socket>();
  private readonly hello: Buffer;
  /** Wall mode: CLOCK_MONOTONIC (ns) at virtual time 0. */
  private readonly wallOrigin: bigint;
  /** performance.now() until which the event loop polls rather than sleeps; see keepPolling. */
  private pollUntil = 0;
  private pollingNow = false;
  private closed = false;

  constructor(
    readonly machine: Machine,
    private readonly options: ServerOptions,
  ) {
    super();
    this.events = new ServedEvents(machine, options.types, (n) => this.emit('events', n));
    const types = options.types.exported;
    this.hello = Buffer.alloc(8 + 4 * types.length);
    this.hello.writeUInt32LE(options.hostCpus, 0);
    this.hello.writeUInt32LE(types.length, 4);
    for (const [i, t] of types.entries()) this.hello.writeUInt32LE(t, 8 + 4 * i);
    this.wallOrigin = process.hrtime.bigint() - BigInt(machine.clock.now());
  }

  /** Events open right now. */
  get openEvents(): number {
    return this.events.size;
  }

  /** True while the event loop polls for the next request instead of sleeping. */
  get polling(): boolean {
    return this.pollingNow;
  }

  /**
   * A client reading an event in a loop sends its next request microseconds after our reply, but a
   * thread sleeping on an idle virtual CPU takes tens of microseconds to wake: so after each request
   * on an event the loop stays awake (an immediate re-queued until the window closes, which makes
   * libuv poll without blocking) and sleeps again once no request came for the window.
   */
  private keepPolling(): void {
    const windowMs = this.options.pollAfterRequestMs ?? 2;
    if (windowMs <= 0 || this.closed) return;
    this.pollUntil = performance.now() + windowMs;
    if (this.pollingNow) return;
    this.pollingNow = true;
    setImmediate(this.pollAgain);
  }

  private readonly pollAgain = (): void => {
    if (!this.closed && performance.now() < this.pollUntil) {
      setImmediate(this.pollAgain);
      return;
    }
    this.pollingNow = false;
    this.emit('idle');
  };

  /** Resolves once `test(open events)` holds (checked now and after every open and close); ETIMEDOUT after `timeoutMs`. */
  until(test: (open: number) => boolean, timeoutMs = 10_000): Promise<number> {
    if (test(this.events.size)) return Promise.resolve(this.events.size);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('events', on);
        reject(kerr('ETIMEDOUT', `after ${timeoutMs} ms the server still has ${this.events.size} event(s) open`));
      }, timeoutMs);
      const on = (n: number) => {
        if (!test(n)) return;
        clearTimeout(timer);
        this.off('events', on);
        resolve(n);
      };
      this.on('events', on);
    });
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ allowHalfOpen: false }, (socket) => this.accept(socket));
      server.once('error', reject);
      server.listen(path, () => {
        chmodSync(path, 0o777); /* any user may connect; what they may open is checked per connection */
        this.server = server;
        this.path = path;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.connections) s.destroy();
    this.events.closeAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    if (this.path) rmSync(this.path, { force: true });
  }

  private accept(socket: Socket): void {
    this.connections.add(socket);
    const conn = new Connection(socket, (c, op, p) => this.request(c, op, p));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(socket);
      if (conn.served) this.events.close(conn.served);
      if (conn.owner) for (const s of this.events.owned(conn.owner)) if (!s.bound) this.events.close(s);
    });
  }

  private syncClock(): void {
    if (this.options.clock !== 'wall') return;
    const t = Number(process.hrtime.bigint() - this.wallOrigin);
    const clock = this.machine.clock;
    if (t > clock.now()) clock.advanceTo(t);
  }

  private request(c: Connection, op: number, p: Buffer): Reply | Promise<Reply> {
    this.syncClock();
    if (c.served) {
      this.keepPolling();
      return this.eventRequest(c.served, op, p);
    }
    if (c.owner) return this.controlRequest(c.owner, op, p);
    if (op === OP.HELLO) {
      return peerCredentials(this.options.peercred, c.socket).then((cred): Reply => {
        c.owner = { uid: cred.uid, caller: callerOf(cred) };
        return [0, this.hello];
      });
    }
    if (op === OP.BIND && p.length >= 16) {
      const s = this.events.get(p.readUInt32LE(0));
      if (s.bound || s.secret !== p.readBigUInt64LE(8)) return [-EPROTO];
      s.bound = true;
      c.served = s;
      return [0];
    }
    return [-EPROTO];
  }

  private controlRequest(owner: Owner, op: number, p: Buffer): Reply {
    switch (op) {
      case OP.OPEN: {
        const s = this.events.open(owner, p);
        const b = Buffer.alloc(24);
        b.writeUInt32LE(s.handle, 0);
        b.writeBigUInt64LE(BigInt(s.event.id), 8);
        b.writeBigUInt64LE(s.secret, 16);
        return [0, b];
      }
      case OP.CLOSE: {
        const s = this.events.get(p.readUInt32LE(0));
        if (s.owner === owner && !s.bound) this.events.close(s);
        return [0];
      }
      case OP.PRCTL: {
        const enable = p.readUInt32LE(0) !== 0;
        for (const s of this.events.owned(owner)) enable ? this.machine.perf.enable(s.event) : this.machine.perf.disable(s.event);
        return [0];
      }
      case OP.SLEEP: {
        if (this.options.clock !== 'virtual') return [-22];
        this.machine.advance(Number(p.readBigUInt64LE(0)));
        return [0];
      }
      case OP.STATUS: {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(this.events.size, 0);
        return [0, b];
      }
      default:
        return [-EPROTO];
    }
  }

  private eventRequest(s: ServedEvent, op: number, p: Buffer): Reply {
    switch (op) {
      case OP.READ: {
        const data = this.events.read(s, p.readUInt32LE(0));
        return [data.length, data];
      }
      case OP.IOCTL:
        return this.events.ioctl(s, p.readUInt32LE(0), p.readInt32LE(4), p.readBigUInt64LE(8));
      case OP.WHOAMI: {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(s.handle, 0);
        return [0, b];
      }
      case OP.USERPAGE:
        return [0, this.events.userPage(s)];
      default:
        return [-EPROTO];
    }
  }
}
