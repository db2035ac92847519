// The fuzzer's lifecycle steps, weighted so rare paths (overflow, tearing, migration, hot swap) come up often.

import { defineBackend, registerBackend } from '@cspmu/arm-cspmu';
import { isKernelError, type ModuleDescriptor } from '@cspmu/kernel';
import type { Machine } from '@cspmu/system';
import fc from 'fast-check';
import type { FuzzModel, ModelEvent } from './model.js';
import { FUZZ_MUX_INTERVAL_MS } from './platform.js';

export const FUZZ_BACKEND = 'fuzz_scf_cspmu';

/** The fuzz backend as a built-in module: it claims the fuzz machine's 0x36b devices. */
export const fuzzBackendModule: ModuleDescriptor = {
  name: FUZZ_BACKEND,
  version: '1.0.0',
  apiVersion: 1,
  depends: ['arm_cspmu'],
  init: (ctx) =>
    registerBackend(
      ctx,
      defineBackend({
        name: FUZZ_BACKEND,
        match: { implementer: 0x36b, product: 0x2cf },
        init: (inst) => ({ getName: () => inst.uniqueName(`fuzz_scf_${inst.apmt?.id ?? 0}`) }),
      }),
    ),
  exit: () => undefined,
};

/** One step of the lifecycle. `run` applies it to the machine and the model, then the invariants are checked. */
export interface Step {
  toString(): string;
  run(model: FuzzModel): void;
}

const step = (name: string, run: (model: FuzzModel) => void): Step => ({ toString: () => name, run });

const TWO32 = 2 ** 32;

function boundPmus(m: Machine): string[] {
  return m.driver.bindings().map((b) => b.pmu);
}

/** The hardware value of the counter an event is on now. */
function counterValue(model: FuzzModel, e: ModelEvent): bigint {
  const id = model.deviceSpec(e).id;
  return model.m.hardware.byId.get(id)!.counterValue(e.event.hw.idx);
}

/** Open `count` copies of one event on the PMU at index `pmu` (modulo the bound PMUs), as `perf stat -e a,a,a` does. */
function openOn(model: FuzzModel, pmu: number, cycles: boolean, count: number): void {
  const pmus = boundPmus(model.m);
  if (pmus.length === 0) return;
  const name = pmus[pmu % pmus.length]!;
  const device = model.m.driver.bindings().find((b) => b.pmu === name)!.device;
  for (let i = 0; i < count; i++) {
    try {
      const [e] = model.m.open(`${name}/${cycles ? 'cycles' : 'event=0x1'}/`);
      model.opened({ event: e!, device, module: e!.pmu.module, enabled: true, enabledNs: 0, since: model.now(), lastValue: 0 });
    } catch (e) {
      // EBUSY: the device is being reprobed into a newly registered backend.
      if (!isKernelError(e, 'EINVAL') && !isKernelError(e, 'ENODEV') && !isKernelError(e, 'EBUSY'))
        model.unexpected.push(`open ${name}: ${(e as Error).message}`);
    }
  }
}

const openStep = fc
  .record({ pmu: fc.nat(10), cycles: fc.boolean() })
  .map(({ pmu, cycles }) => step(`open(pmu#${pmu}, ${cycles ? 'cycles' : 'event=0x1'})`, (model) => openOn(model, pmu, cycles, 1)));

/** More events than counters on one PMU: the groups must take turns (multiplexing). */
const openManyStep = fc
  .record({ pmu: fc.nat(10), cycles: fc.boolean(), count: fc.integer({ min: 2, max: 5 }) })
  .map(({ pmu, cycles, count }) => step(`open ${count} x (pmu#${pmu}, ${cycles ? 'cycles' : 'event=0x1'})`, (model) => openOn(model, pmu, cycles, count)));

const closeStep = fc.nat(20).map((i) =>
  step(`close(#${i})`, (model) => {
    if (model.events.length === 0) return;
    const [e] = model.events.splice(i % model.events.length, 1);
    model.closing(e!.device, model.m.perf.close(e!.event));
  }),
);

const toggleStep = fc.nat(20).map((i) =>
  step(`toggle(#${i})`, (model) => {
    if (model.events.length === 0) return;
    const e = model.events[i % model.events.length]!;
    if (e.enabled) {
      model.m.perf.disable(e.event);
      e.enabledNs += model.now() - e.since;
    } else {
      model.m.perf.enable(e.event);
      e.since = model.now();
    }
    e.enabled = !e.enabled;
  }),
);

const advanceStep = (min: number, max: number) => fc.integer({ min, max }).map((ns) => step(`advance(${ns})`, (model) => model.m.advance(ns)));

/** The mux interval the fuzz machine sets, plus one: after it, a rotation that was due has happened. */
const AFTER_ROTATION_NS = FUZZ_MUX_INTERVAL_MS * 1_000_000 + 1;

/**
 * The events counting on a device, after making it stop multiplexing (a
 * counter restarts at every rotation, so only a PMU that does not
 * multiplex counts long enough to overflow or carry): events waiting for a
 * counter are disabled, and the last rotation is let happen. Opens one
 * event if the device has none.
 */
function quiesce(model: FuzzModel, deviceId: number): ModelEvent[] {
  const m = model.m;
  const binding = m.driver.bindings().find((b) => b.device === `arm-cs-arch-pmu.${deviceId}`);
  if (!binding || !m.perf.pmuByName(binding.pmu)) return [];
  const mine = () => model.events.filter((e) => e.device === binding.device);
  if (mine().length === 0) openOn(model, boundPmus(m).indexOf(binding.pmu), false, 1);
  let waited = false;
  for (const e of mine()) {
    if (e.enabled && e.event.hw.idx < 0) {
      m.perf.disable(e.event);
      e.enabledNs += model.now() - e.since;
      e.enabled = false;
      waited = true;
    }
  }
  if (waited) m.advance(AFTER_ROTATION_NS);
  return mine().filter((e) => e.event.hw.idx >= 0);
}

/**
 * Advance to a few ns before the low word of a non-atomic 64-bit counter
 * wraps, then read it: the high word is read before the carry and the low
 * word one bus latency later, after it. hi-lo-hi must see the change and
 * read again, as a read(2) that can be preempted before the retry.
 */
const edgeOfCarryStep = fc.record({ i: fc.nat(20), before: fc.nat(7) }).map(({ i, before }) =>
  step(`read a 64-bit counter across its carry (#${i}, ${before})`, (model) => {
    const dev = model.m.platform.pmus.find((d) => d.counterBits > 32 && !d.atomic64 && d.accessLatencyNs > 0);
    if (!dev) return;
    const live = quiesce(model, dev.id);
    if (live.length === 0) return;
    const e = live[i % live.length]!;
    const ahead = 1 + (before % dev.accessLatencyNs);
    const lo = Number(counterValue(model, e) & 0xffffffffn);
    const ns = TWO32 - lo - ahead;
    // Just started, the low word is at its top: aim at the carry after next.
    model.m.advance(ns > 0 ? ns : ns + TWO32);
    // read(2): a hi-lo-hi retry may park it at a preemption point, where the scheduler lets other tasks run.
    const r = model.m.perf.sys.read(e.event);
    if (r instanceof Promise) model.reading(e.device, r);
  }),
);

/** Advance just past the overflow of a 32-bit counter, so its interrupt must fold the count. */
const pastOverflowStep = fc.record({ i: fc.nat(20), after: fc.nat(1000) }).map(({ i, after }) =>
  step(`advance ${after} ns past a 32-bit counter's overflow (#${i})`, (model) => {
    const dev = model.m.platform.pmus.find((d) => d.counterBits <= 32 && d.irq);
    if (!dev) return;
    const live = quiesce(model, dev.id);
    if (live.length === 0) return;
    const e = live[i % live.length]!;
    model.m.advance(TWO32 - Number(counterValue(model, e)) + after);
  }),
);

/** Take the CPU an event counts on offline (if its socket keeps another), so perf migrates the context. */
const offlineEventCpuStep = fc.nat(20).map((i) =>
  step(`offline the CPU of #${i}`, (model) => {
    if (model.events.length === 0) return;
    const cpu = model.events[i % model.events.length]!.event.cpu;
    const cpus = model.m.kernel.cpus;
    if (cpus.isOnline(cpu) && cpus.online().some((c) => c !== cpu && cpus.nodeOf(c) === cpus.nodeOf(cpu))) cpus.cpuDown(cpu);
  }),
);

const cpuToggleStep = fc.nat(3).map((cpu) =>
  step(`cpu ${cpu} toggle`, (model) => {
    const cpus = model.m.kernel.cpus;
    const socket = cpus.nodeOf(cpu);
    const peers = cpus.online().filter((c) => c !== cpu && cpus.nodeOf(c) === socket);
    if (cpus.isOnline(cpu)) {
      if (peers.length > 0) cpus.cpuDown(cpu);
    } else cpus.cpuUp(cpu);
  }),
);

const registerStep = fc.constant(
  step('register fuzz backend', (model) => {
    if (model.m.modules.get(FUZZ_BACKEND)) return;
    model.track('register', model.m.modules.registerBuiltin(fuzzBackendModule), ['EEXIST']);
  }),
);

const unloadStep = fc.constant(
  step('unload fuzz backend', (model) => {
    if (!model.m.modules.get(FUZZ_BACKEND)) return;
    model.track('unload fuzz backend', model.m.modules.unload(FUZZ_BACKEND), ['EWOULDBLOCK', 'EBUSY', 'ENOENT']);
  }),
);

const loadGenericStep = fc.constant(
  step('load arm-generic', (model) => {
    model.track('load arm-generic', model.m.load('@cspmu/arm-generic'), ['EEXIST', 'EBUSY']);
  }),
);

const unloadGenericStep = fc.constant(
  step('unload arm-generic', (model) => {
    if (model.m.modules.get('arm_generic_cspmu')?.state !== 'live') return;
    model.track('unload arm-generic', model.m.modules.unload('arm_generic_cspmu'), ['EWOULDBLOCK', 'EBUSY', 'ENOENT']);
  }),
);

const removeOrAddStep = fc.nat(2).map((d) =>
  step(`remove or re-add device ${d}`, (model) => {
    const m = model.m;
    const name = `arm-cs-arch-pmu.${d}`;
    const dev = m.bus.device(name);
    if (dev) {
      // A removal still in flight: removing it again would be the caller's double unregister.
      if (model.removed.has(d) || model.busy(name)) return;
      const inst = m.driver.instances.get(dev);
      if (inst && !inst.idle) return;
      const saved = { resources: dev.resources, data: dev.platformData };
      model.removed.set(d, saved);
      // Checked again under the device lock: the user does not remove a device while one of its events is
      // open or closing (an unbind racing a close is the kernel's own race: the free still uses the PMU).
      const removal = m.bus
        .removeDevice(dev, () => !model.busy(name) && (m.driver.instances.get(dev)?.idle ?? true))
        .then((removed) => {
          if (!removed && model.removed.get(d) === saved) model.removed.delete(d);
        });
      // A second remove may race the first one still releasing the driver: it is refused, ENODEV.
      model.track(`remove ${name}`, removal, ['EBUSY', 'ENODEV']);
    } else {
      const saved = model.removed.get(d);
      if (!saved) return;
      model.removed.delete(d);
      model.track(`add ${name}`, m.bus.addDevice('arm-cs-arch-pmu', d, saved.resources, saved.data), ['EEXIST']);
    }
  }),
);

const rebindStep = fc.nat(2).map((d) =>
  step(`rebind device ${d}`, (model) => {
    const dev = model.m.bus.device(`arm-cs-arch-pmu.${d}`);
    if (!dev || model.busy(dev.name)) return;
    const inst = model.m.driver.instances.get(dev);
    if (inst && !inst.idle) return;
    const m = model.m;
    const wanted = () => !model.busy(dev.name) && (m.driver.instances.get(dev)?.idle ?? true);
    model.track(
      `rebind ${dev.name}`,
      m.bus.deviceReleaseDriverIf(dev, wanted).then(() => m.bus.attachDevice(dev)),
      [],
    );
  }),
);

/** Two lifecycle operations started together, so their tasks wait on the scheduler side by side and race. */
const raceStep = () => {
  const lifecycle = fc.oneof(registerStep, unloadStep, loadGenericStep, unloadGenericStep, removeOrAddStep, rebindStep);
  return fc.tuple(lifecycle, lifecycle).map(([a, b]) =>
    step(`race(${String(a)}, ${String(b)})`, (model) => {
      a.run(model);
      b.run(model);
    }),
  );
};

/**
 * Every step, with its weight. Opens dominate (several events per PMU make
 * multiplexing and hot swaps under live events likely); the targeted
 * advances reach 32-bit overflows and 64-bit carries that random time steps
 * would almost never hit.
 */
export function weightedSteps(): fc.WeightedArbitrary<Step>[] {
  return [
    { arbitrary: openStep, weight: 6 },
    { arbitrary: openManyStep, weight: 3 },
    { arbitrary: closeStep, weight: 2 },
    { arbitrary: toggleStep, weight: 2 },
    { arbitrary: advanceStep(1, 250_000_000), weight: 5 },
    { arbitrary: advanceStep(1_000_000_000, 3_000_000_000), weight: 1 },
    { arbitrary: edgeOfCarryStep, weight: 3 },
    { arbitrary: pastOverflowStep, weight: 3 },
    { arbitrary: offlineEventCpuStep, weight: 2 },
    { arbitrary: cpuToggleStep, weight: 1 },
    { arbitrary: registerStep, weight: 2 },
    { arbitrary: unloadStep, weight: 1 },
    { arbitrary: loadGenericStep, weight: 1 },
    { arbitrary: unloadGenericStep, weight: 1 },
    { arbitrary: removeOrAddStep, weight: 1 },
    { arbitrary: rebindStep, weight: 1 },
    { arbitrary: raceStep(), weight: 3 },
  ];
}

/** Any one step, by weight. */
export function stepArbitrary(): fc.Arbitrary<Step> {
  return fc.oneof(...weightedSteps());
}
