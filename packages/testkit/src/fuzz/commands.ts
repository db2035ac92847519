import fc from 'fast-check';
import { defineBackend, registerBackend } from '@cspmu/arm-cspmu';
import { isKernelError, type ModuleDescriptor } from '@cspmu/kernel';
import type { Machine } from '@cspmu/system';
import type { FuzzModel } from './model.js';

export const FUZZ_BACKEND = 'fuzz_scf_cspmu';

const fuzzModule: ModuleDescriptor = {
  name: FUZZ_BACKEND,
  version: '1.0.0',
  apiVersion: 1,
  depends: ['arm_cspmu'],
  init: (ctx) =>
    registerBackend(
      ctx,
      defineBackend({ name: FUZZ_BACKEND, match: { implementer: 0x36b, product: 0x2cf }, init: (inst) => ({ getName: () => inst.uniqueName(`fuzz_scf_${inst.apmt?.id ?? 0}`) }) }),
    ),
  exit: () => undefined,
};

/** One step of the lifecycle. `run` applies it to the machine and the model, then the invariants are checked. */
export interface Step {
  toString(): string;
  run(model: FuzzModel): void;
}

const step = (name: string, run: (model: FuzzModel) => void): Step => ({ toString: () => name, run });

function boundPmus(m: Machine): string[] {
  return m.driver.bindings().map((b) => b.pmu);
}

export function stepArbitraries(): fc.Arbitrary<Step>[] {
  return [
    fc.record({ pmu: fc.nat(10), cycles: fc.boolean() }).map(({ pmu, cycles }) =>
      step(`open(pmu#${pmu}, ${cycles ? 'cycles' : 'event=0x1'})`, (model) => {
        const pmus = boundPmus(model.m);
        if (pmus.length === 0) return;
        const name = pmus[pmu % pmus.length]!;
        try {
          const [e] = model.m.open(`${name}/${cycles ? 'cycles' : 'event=0x1'}/`);
          const device = model.m.driver.bindings().find((b) => b.pmu === name)!.device;
          model.events.push({ event: e!, device, enabled: true, enabledNs: 0, since: model.now() });
        } catch (e) {
          if (!isKernelError(e, 'EINVAL') && !isKernelError(e, 'ENODEV')) model.unexpected.push(`open ${name}: ${(e as Error).message}`);
        }
      }),
    ),
    fc.nat(20).map((i) =>
      step(`close(#${i})`, (model) => {
        if (model.events.length === 0) return;
        const [e] = model.events.splice(i % model.events.length, 1);
        model.m.perf.close(e!.event);
      }),
    ),
    fc.nat(20).map((i) =>
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
    ),
    fc.oneof({ arbitrary: fc.integer({ min: 1, max: 120_000_000 }), weight: 4 }, { arbitrary: fc.integer({ min: 1_000_000_000, max: 3_000_000_000 }), weight: 1 }).map((ns) =>
      step(`advance(${ns})`, (model) => model.m.advance(ns)),
    ),
    fc.constant(
      step('register fuzz backend', (model) => {
        if (model.m.modules.get(FUZZ_BACKEND)) return;
        model.track('register', model.m.modules.registerBuiltin(fuzzModule), ['EEXIST']);
      }),
    ),
    fc.constant(
      step('unload fuzz backend', (model) => {
        if (!model.m.modules.get(FUZZ_BACKEND)) return;
        model.track('unload fuzz backend', model.m.modules.unload(FUZZ_BACKEND), ['EBUSY', 'ENOENT']);
      }),
    ),
    fc.constant(
      step('load arm-generic', (model) => {
        model.track('load arm-generic', model.m.load('@cspmu/arm-generic'), ['EEXIST', 'EBUSY']);
      }),
    ),
    fc.constant(
      step('unload arm-generic', (model) => {
        if (model.m.modules.get('arm_generic_cspmu')?.state !== 'live') return;
        model.track('unload arm-generic', model.m.modules.unload('arm_generic_cspmu'), ['EBUSY', 'ENOENT']);
      }),
    ),
    fc.nat(3).map((cpu) =>
      step(`cpu ${cpu} toggle`, (model) => {
        const cpus = model.m.kernel.cpus;
        const socket = cpus.nodeOf(cpu);
        const peers = cpus.online().filter((c) => c !== cpu && cpus.nodeOf(c) === socket);
        if (cpus.isOnline(cpu)) {
          if (peers.length > 0) cpus.cpuDown(cpu);
        } else cpus.cpuUp(cpu);
      }),
    ),
    fc.nat(2).map((d) =>
      step(`remove or re-add device ${d}`, (model) => {
        const m = model.m;
        const name = `arm-cs-arch-pmu.${d}`;
        const dev = m.bus.device(name);
        if (dev) {
          if (model.events.some((e) => e.device === name)) return;
          const inst = m.driver.instances.get(dev);
          if (inst && !inst.idle) return;
          model.removed.set(d, { resources: dev.resources, data: dev.platformData });
          model.track(`remove ${name}`, m.bus.removeDevice(dev), ['EBUSY']);
        } else {
          const saved = model.removed.get(d);
          if (!saved) return;
          model.removed.delete(d);
          model.track(`add ${name}`, m.bus.addDevice('arm-cs-arch-pmu', d, saved.resources, saved.data), ['EEXIST']);
        }
      }),
    ),
    fc.nat(2).map((d) =>
      step(`rebind device ${d}`, (model) => {
        const dev = model.m.bus.device(`arm-cs-arch-pmu.${d}`);
        if (!dev || model.events.some((e) => e.device === dev.name)) return;
        const inst = model.m.driver.instances.get(dev);
        if (inst && !inst.idle) return;
        const m = model.m;
        model.track(`rebind ${dev.name}`, m.bus.deviceReleaseDriverIf(dev, () => (m.driver.instances.get(dev)?.idle ?? true)).then(() => m.bus.attachDevice(dev)), []);
      }),
    ),
  ];
}
