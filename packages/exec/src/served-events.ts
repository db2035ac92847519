/**
 * The events the server holds for its clients, and what each request does to them: open (with the caller's
 * checked credentials), read, the perf ioctls, prctl, the user page. Types arrive as the exported sysfs tree
 * numbers them and are mapped back to the emulated core's before it sees them.
 */
import { randomBytes } from 'node:crypto';
import { kerr } from '@cspmu/kernel';
import { PERF_FORMAT_GROUP, PERF_TYPE, type PerfCaller, type PerfEvent } from '@cspmu/perf';
import type { Machine } from '@cspmu/system';
import { decodeOpen, IOC, PERF_FLAG_FD_CLOEXEC, PERF_FLAG_FD_NO_GROUP, PERF_FLAG_FD_OUTPUT, PERF_FLAG_PID_CGROUP, PERF_FORMAT_LOST } from './protocol.js';
import { encodeRead, type ReadMember } from './read-format.js';
import type { TypeMap } from './views.js';

/** Emulated event ids are offset so they never meet the host kernel's ids in one perf session. */
export const EVENT_ID_BASE = 2 ** 40;
const ENOTTY = 25;

export interface Owner {
  readonly uid: number;
  readonly caller: PerfCaller;
}

export interface ServedEvent {
  readonly handle: number;
  readonly event: PerfEvent;
  readonly secret: bigint;
  readonly owner: Owner;
  /** read_format as the caller asked for it (PERF_FORMAT_LOST included). */
  readonly readFormat: number;
  bound: boolean;
}

const KNOWN_FLAGS = PERF_FLAG_FD_NO_GROUP | PERF_FLAG_FD_OUTPUT | PERF_FLAG_PID_CGROUP | PERF_FLAG_FD_CLOEXEC;

export class ServedEvents {
  private readonly byHandle = new Map<number, ServedEvent>();
  private nextHandle = 1;

  constructor(
    private readonly machine: Machine,
    private readonly types: TypeMap,
    /** Told the number of open events after each open and close. */
    private readonly onChange: (open: number) => void = () => {},
  ) {}

  get size(): number {
    return this.byHandle.size;
  }

  get(handle: number): ServedEvent {
    const s = this.byHandle.get(handle);
    if (!s) throw kerr('EINVAL', `no event with handle ${handle}`);
    return s;
  }

  owned(owner: Owner): ServedEvent[] {
    return [...this.byHandle.values()].filter((s) => s.owner === owner);
  }

  /** perf_event_open for a client whose credentials the server checked. */
  open(owner: Owner, payload: Buffer): ServedEvent {
    const req = decodeOpen(payload);
    if (req.flags & ~KNOWN_FLAGS) throw kerr('EINVAL', `unknown perf_event_open flags 0x${(req.flags & ~KNOWN_FLAGS).toString(16)}`);
    if (req.flags & PERF_FLAG_PID_CGROUP) throw kerr('EINVAL', 'cgroup events are not emulated; count system-wide (-a) instead');
    let leader: ServedEvent | undefined;
    if (req.groupHandle >= 0) {
      leader = this.byHandle.get(req.groupHandle);
      if (!leader) throw kerr('EINVAL', `group leader ${req.groupHandle} is closed`);
      if (leader.owner.uid !== owner.uid && owner.caller.capabilities.length === 0) throw kerr('EACCES', 'the group leader belongs to another user');
    }
    const type = this.emulatedType(req.attr.type, leader !== undefined);
    if (type === PERF_TYPE.SOFTWARE && req.sampling) throw kerr('EOPNOTSUPP', 'sampling software events on emulated CPUs is not emulated');
    const event = this.machine.perf.open(
      { ...req.attr, type },
      { cpu: req.cpu, pid: req.pid, caller: owner.caller, ...(leader ? { group: leader.event } : {}) },
    );
    const served: ServedEvent = {
      handle: this.nextHandle++,
      event,
      secret: randomBytes(8).readBigUInt64LE(0),
      owner,
      readFormat: (req.attr.read_format ?? 0) | (req.lost ? PERF_FORMAT_LOST : 0),
      bound: false,
    };
    this.byHandle.set(served.handle, served);
    this.onChange(this.byHandle.size);
    return served;
  }

  private emulatedType(exported: number, inGroup: boolean): number {
    const t = this.types.toEmulated(exported);
    if (t !== undefined) return t;
    if (exported === PERF_TYPE.SOFTWARE) return exported;
    if (inGroup && (exported === PERF_TYPE.HARDWARE || exported === PERF_TYPE.HW_CACHE || exported === PERF_TYPE.RAW)) {
      throw kerr('EINVAL', "events of two hardware PMUs (the host CPU's and an emulated one) cannot share a group; put them in separate groups");
    }
    throw kerr(inGroup ? 'EINVAL' : 'ENOENT', `type ${exported} is not an emulated PMU's and cannot join an emulated group`);
  }

  close(s: ServedEvent): void {
    if (!this.byHandle.delete(s.handle)) return;
    // The event leaves its PMU now; the core's free of it finishes on its own (close sleeps).
    if (this.machine.perf.isLive(s.event)) void this.machine.perf.close(s.event);
    this.onChange(this.byHandle.size);
  }

  closeAll(): void {
    for (const s of [...this.byHandle.values()].reverse()) this.close(s);
  }

  /** read(): the bytes, or an empty buffer for an event in error state (a pinned group that could not go on). */
  read(s: ServedEvent, capacity: number): Buffer {
    const perf = this.machine.perf;
    const group = (s.readFormat & PERF_FORMAT_GROUP) !== 0;
    const head = perf.read(group ? s.event.leader : s.event);
    if (head.notCounted) return Buffer.alloc(0);
    const members: ReadMember[] = group
      ? s.event.leader.groupMembers().map((e) => ({ value: perf.readCount(e), id: e.id + EVENT_ID_BASE }))
      : [{ value: head.value, id: head.id + EVENT_ID_BASE }];
    return encodeRead(s.readFormat, { enabled: head.timeEnabled, running: head.timeRunning }, members, capacity);
  }

  userPage(s: ServedEvent): Buffer {
    const r = this.machine.perf.read(s.event);
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(BigInt(r.value), 0);
    b.writeBigUInt64LE(BigInt(r.timeEnabled), 8);
    b.writeBigUInt64LE(BigInt(r.timeRunning), 16);
    return b;
  }

  /** The perf ioctls, answered as the kernel answers them for a counting uncore event. Returns [ret, payload]. */
  ioctl(s: ServedEvent, cmd: number, outputHandle: number, arg: bigint): [number, Buffer?] {
    const perf = this.machine.perf;
    const targets = (): PerfEvent[] => (arg & 1n ? s.event.leader.groupMembers() : [s.event]);
    switch (cmd) {
      case IOC.ENABLE:
        for (const e of targets()) perf.enable(e);
        return [0];
      case IOC.DISABLE:
        for (const e of targets()) perf.disable(e);
        return [0];
      case IOC.RESET:
        for (const e of targets()) perf.reset(e);
        return [0];
      case IOC.ID: {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(s.event.id + EVENT_ID_BASE), 0);
        return [0, b];
      }
      case IOC.REFRESH:
      case IOC.PERIOD:
        throw kerr('EINVAL', 'this event does not sample: there is no period to refresh or change');
      case IOC.SET_OUTPUT: {
        if (outputHandle === -1) return [0];
        const out = outputHandle >= 0 ? this.byHandle.get(outputHandle) : undefined;
        if (out && out.event.cpu === s.event.cpu) return [0];
        throw kerr('EINVAL', 'output event must be on the same CPU');
      }
      case IOC.SET_FILTER:
      case IOC.SET_BPF:
      case IOC.PAUSE_OUTPUT:
      case IOC.QUERY_BPF:
      case IOC.MODIFY_ATTRIBUTES:
        throw kerr('EINVAL', 'not supported for an uncore counting event (no tracepoint, address filter, ring buffer or breakpoint)');
      default:
        return [-ENOTTY];
    }
  }
}
