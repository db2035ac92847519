// The machine's CPUs: possible and online sets, NUMA nodes, ACPI UIDs, and cpuhp multi-instance hotplug states.
import { kerr } from '../base/errors.js';

export interface CpuTopology {
  /** NUMA node of each possible CPU, indexed by CPU number. */
  readonly nodeOfCpu: readonly number[];
  /** ACPI processor UID of each CPU (defaults to the CPU number). */
  readonly acpiUid?: readonly number[];
  /** ACPI processor-container UID of each CPU (defaults to the NUMA node). */
  readonly containerUid?: readonly number[];
}

/** A cpuhp callback returns nothing on success or throws a KernelError. */
export type HotplugCallback<I> = (cpu: number, instance: I) => void;

interface HotplugState<I> {
  readonly id: number;
  readonly name: string;
  readonly online: HotplugCallback<I>;
  readonly teardown: HotplugCallback<I>;
  readonly instances: Set<I>;
}

const CPUHP_AP_ONLINE_DYN = 100;

/**
 * The most CPUs a machine may have. Linux's own ceiling (NR_CPUS) is 8192;
 * cspmu allows more for scaling tests, up to what the trace ring can record
 * (TraceFs refuses a machine whose CPU numbers do not fit a record's header).
 */
export const MAX_CPUS = 65536;

/**
 * The machine's CPUs: possible and online sets, NUMA nodes, and multi-instance
 * hotplug states with online/teardown callbacks, cpuhp-style.
 */
export class Cpus {
  /** 1 at each online CPU's number: isOnline is on every perf open, and a typed-array load is cheaper there than a Set lookup. */
  private readonly onlineFlags: Uint8Array;
  private onlineCount: number;
  private readonly states = new Map<number, HotplugState<unknown>>();
  private nextDynState = CPUHP_AP_ONLINE_DYN;

  constructor(readonly topology: CpuTopology) {
    const n = topology.nodeOfCpu.length;
    if (n < 1) throw kerr('EINVAL', 'a machine needs at least one CPU');
    if (n > MAX_CPUS) throw kerr('EINVAL', `a machine has at most ${MAX_CPUS} CPUs, got ${n}`);
    for (const [cpu, node] of topology.nodeOfCpu.entries()) {
      if (!Number.isInteger(node) || node < 0) throw kerr('EINVAL', `cpu ${cpu}: NUMA node must be a non-negative integer, got ${node}`);
    }
    this.onlineFlags = new Uint8Array(n).fill(1);
    this.onlineCount = n;
  }

  get count(): number {
    return this.topology.nodeOfCpu.length;
  }

  possible(): number[] {
    // Array.from, not map(): V8 11.3's map() gives a packed array until its caller is optimised and a holey one after, so
    // optimised code that had only seen the first kind would deoptimise on the second ("wrong map").
    return Array.from(this.topology.nodeOfCpu, (_, i) => i);
  }

  online(): number[] {
    const out: number[] = [];
    for (let cpu = 0; cpu < this.onlineFlags.length; cpu++) if (this.onlineFlags[cpu] === 1) out.push(cpu);
    return out;
  }

  isPossible(cpu: number): boolean {
    return Number.isInteger(cpu) && cpu >= 0 && cpu < this.count;
  }

  isOnline(cpu: number): boolean {
    return this.onlineFlags[cpu] === 1;
  }

  nodeOf(cpu: number): number {
    this.check(cpu);
    return this.topology.nodeOfCpu[cpu]!;
  }

  acpiUidOf(cpu: number): number {
    this.check(cpu);
    return this.topology.acpiUid?.[cpu] ?? cpu;
  }

  containerUidOf(cpu: number): number {
    this.check(cpu);
    return this.topology.containerUid?.[cpu] ?? this.nodeOf(cpu);
  }

  /** cpuhp_setup_state_multi(CPUHP_AP_ONLINE_DYN, …): returns the dynamic state id. */
  setupStateMulti<I>(name: string, online: HotplugCallback<I>, teardown: HotplugCallback<I>): number {
    for (const s of this.states.values()) {
      if (s.name === name) throw kerr('EEXIST', `hotplug state '${name}' is already set up as state ${s.id}`);
    }
    const id = this.nextDynState++;
    this.states.set(id, { id, name, online, teardown, instances: new Set() } as HotplugState<unknown>);
    return id;
  }

  removeStateMulti(id: number): void {
    const s = this.state(id);
    if (s.instances.size > 0) {
      throw kerr('EBUSY', `hotplug state '${s.name}' still has ${s.instances.size} instance(s); remove them first`);
    }
    this.states.delete(id);
  }

  /** Add an instance and run its online callback on every online CPU. */
  stateAddInstance<I>(id: number, instance: I): void {
    const s = this.state(id) as HotplugState<I>;
    if (s.instances.has(instance)) throw kerr('EEXIST', `instance already added to hotplug state '${s.name}'`);
    for (const cpu of this.online()) s.online(cpu, instance);
    s.instances.add(instance);
  }

  /** Run the teardown callback on every online CPU, then forget the instance. */
  stateRemoveInstance<I>(id: number, instance: I): void {
    const s = this.state(id) as HotplugState<I>;
    if (!s.instances.delete(instance)) throw kerr('ENOENT', `instance is not part of hotplug state '${s.name}'`);
    for (const cpu of this.online()) s.teardown(cpu, instance);
  }

  /** Take a CPU offline: teardown callbacks of every state, newest state first. */
  cpuDown(cpu: number): void {
    this.check(cpu);
    if (!this.isOnline(cpu)) throw kerr('EINVAL', `cpu ${cpu} is already offline`);
    if (this.onlineCount === 1) throw kerr('EBUSY', `cpu ${cpu} is the last online CPU and cannot go offline`);
    this.onlineFlags[cpu] = 0;
    this.onlineCount--;
    const states = [...this.states.values()].reverse();
    for (const s of states) for (const inst of s.instances) s.teardown(cpu, inst);
  }

  /** Bring a CPU online: online callbacks of every state, oldest first. */
  cpuUp(cpu: number): void {
    this.check(cpu);
    if (this.isOnline(cpu)) throw kerr('EINVAL', `cpu ${cpu} is already online`);
    this.onlineFlags[cpu] = 1;
    this.onlineCount++;
    for (const s of this.states.values()) for (const inst of s.instances) s.online(cpu, inst);
  }

  private state(id: number): HotplugState<unknown> {
    const s = this.states.get(id);
    if (!s) throw kerr('EINVAL', `no hotplug state ${id}; set it up with setupStateMulti first`);
    return s;
  }

  private check(cpu: number): void {
    if (!this.isPossible(cpu)) throw kerr('EINVAL', `cpu ${cpu} is not a possible CPU (0-${this.count - 1})`);
  }
}
