import { expect } from 'chai';
import type { Resource } from '@cspmu/kernel';
import type { PerfEvent } from '@cspmu/perf';
import type { Machine } from '@cspmu/system';

export interface ModelEvent {
  readonly event: PerfEvent;
  readonly device: string;
  enabled: boolean;
  enabledNs: number;
  since: number;
}

/** What the fuzzer believes: the open events, their enabled time, and operations still in flight. */
export class FuzzModel {
  readonly events: ModelEvent[] = [];
  readonly inflight: Promise<unknown>[] = [];
  readonly unexpected: string[] = [];
  /** Platform devices removed by a step, with what it takes to add them again. */
  readonly removed = new Map<number, { resources: readonly Resource[]; data: unknown }>();

  constructor(readonly m: Machine) {}

  now(): number {
    return this.m.clock.now();
  }

  expectedEnabled(e: ModelEvent): number {
    return e.enabledNs + (e.enabled ? this.now() - e.since : 0);
  }

  /** Record an operation's failure unless its errno is one the operation may legitimately return. */
  track(what: string, p: Promise<unknown>, allowed: readonly string[]): void {
    this.inflight.push(
      p.catch((e: { code?: string; message?: string }) => {
        if (!e?.code || !allowed.includes(e.code)) this.unexpected.push(`${what}: ${e?.message ?? String(e)}`);
      }),
    );
  }

  /** The invariants that must hold after every step. */
  check(): void {
    const m = this.m;
    expect(this.unexpected, 'unexpected failures').to.deep.equal([]);
    expect(m.mmio.violations, 'accesses through released mappings').to.deep.equal([]);
    expect(m.driver.useAfterFree, 'use-after-free reports').to.deep.equal([]);
    const perInstance = new Map<unknown, number>();
    for (const e of this.events) {
      const r = m.perf.read(e.event);
      // Every counter counts 1/ns: the count is the running time, exactly, across everything.
      expect(r.value, `event ${e.event.id} count vs running time`).to.equal(r.timeRunning);
      expect(r.timeEnabled, `event ${e.event.id} enabled time`).to.equal(this.expectedEnabled(e));
      expect(r.timeRunning).to.be.at.most(r.timeEnabled);
      perInstance.set(e.event.pmu, (perInstance.get(e.event.pmu) ?? 0) + 1);
    }
    for (const inst of m.driver.instances.values()) {
      expect(inst.refs.count, `${inst.name} refcount`).to.equal(1 + (perInstance.get(inst) ?? 0));
    }
    for (const h of m.modules.list()) expect(h.refs, `${h.name} refs`).to.be.at.least(0);
    const errors = m.kernel.log.atLeast('err').filter((r) => !/failed to load|probe of .* failed/.test(r.message)).map((r) => r.message);
    expect(errors, `errors logged: ${errors.join(' | ')}`).to.deep.equal([]);
    expect(m.bus.deferwq.failures.concat(m.driver.reprobeWq.failures).map((f) => f.error.message), 'failed work').to.deep.equal([]);
  }

  /** At rest (nothing in flight, every event closed): everything is back to zero. */
  checkAtRest(): void {
    const m = this.m;
    for (const inst of m.driver.instances.values()) expect(inst.refs.count, `${inst.name} refcount at rest`).to.equal(1);
    for (const h of m.modules.list()) expect(h.refs, `${h.name} refs at rest`).to.equal(0);
    expect(m.driver.registry.mutex.locked, 'arm_cspmu_lock held at rest').to.equal(false);
    for (const d of m.bus.allDevices()) expect(d.lock.locked, `${d.name} lock held at rest`).to.equal(false);
    expect(m.perf.liveEvents()).to.have.length(0);
  }
}
