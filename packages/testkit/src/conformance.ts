// The backend conformance suite: binding, naming, sysfs attributes and exact counts for every listed event, run against any backend.
import { builtinPlatform, ConstantRate, CYCLE_COUNTER_PHYS, CYCLES, loadPlatform, type PlatformSpec, type RateFunction, REG, registerLayout } from '@cspmu/hw';
import { isKernelError, parseCpuList } from '@cspmu/kernel';
import { parseFormat } from '@cspmu/perf-tool';
import { Machine, type MachineOptions } from '@cspmu/system';
import { expect } from 'chai';

/** The `event=` code of a sysfs event description (`event=0x1a5,filter=0x3`). */
function listedCode(text: string): number {
  const m = /(?:^|,)event=(0x[0-9a-f]+|\d+)/.exec(text.trim());
  if (!m) throw new Error(`sysfs event '${text.trim()}' has no event= term`);
  return Number(m[1]);
}

/**
 * What the emulated device counts on physical counter `phys` of `device`,
 * read back from its registers (raw, untraced): on the cycle counter the
 * workload's cycles for PMCCFILTR (the PMU clock if it gives none), else the
 * workload's events for the programmed event type, filters and PMIMPDEF.
 * The event type must be the listed code (a backend must not program
 * another event).
 */
function modelledRate(m: Machine, device: string, phys: number, code: number, what: string): RateFunction {
  const label = m.platform.pmus.find((p) => `arm-cs-arch-pmu.${p.id}` === device)!;
  const io = m.driver.instanceByName(m.driver.bindings().find((b) => b.device === device)!.pmu)!.base0;
  const layout = registerLayout(label.ext64);
  const word = (reg: number, half: 0 | 1) => (half === 0 || layout.ext64 ? io.rawReadl(reg + layout.selStride * phys + 4 * half) : 0);
  const impdef = Array.from({ length: 32 }, (_, i) => io.rawReadl(REG.PMIMPDEF + 4 * i));
  if (phys === CYCLE_COUNTER_PHYS && label.cycleCounter) {
    if (!m.hardware.workload.countsCycles(label.label)) return new ConstantRate(label.clockHz);
    return m.hardware.workload.resolve({ label: label.label, event: CYCLES, filter: word(REG.PMEVTYPER, 0), filter2: 0, impdef }); // PMCCFILTR sits at the cycle counter's type slot
  }
  const event = word(REG.PMEVTYPER, 0) + word(REG.PMEVTYPER, 1) * 2 ** 32;
  expect(event, `${what} event type programmed`).to.equal(code);
  const filtered = phys < layout.filtered;
  const sel = {
    label: label.label,
    event,
    filter: filtered ? word(REG.PMEVFILTR, 0) : 0,
    filterHi: filtered ? word(REG.PMEVFILTR, 1) : 0,
    filter2: filtered ? word(REG.PMEVFILT2R, 0) : 0,
    filter2Hi: filtered ? word(REG.PMEVFILT2R, 1) : 0,
    impdef,
  };
  return m.hardware.workload.resolve(sel);
}

/** A feature: true (test it) or the reason it does not apply to this backend. */
export type Feature = true | string;

export interface ConformanceOptions {
  readonly describe: (title: string, fn: (this: { timeout(ms: number): void }) => void) => void;
  readonly it: (title: string, fn: (this: { skip(): void; timeout(ms: number): void }) => Promise<void> | void) => void;
  /** The backend: its plugin (package or module name) and the backend name it registers. */
  readonly backend: { readonly module: string; readonly package: string; readonly name: string | readonly string[] };
  /** A platform with devices the backend serves. */
  readonly platform: string | PlatformSpec;
  /** Other plugins installed alongside (the generic fallback, say). */
  readonly alsoInstalled?: readonly string[];
  /** Give every device of the platform FEAT_CSPMU_EXT64 (64-bit event types and filters, PMCR at 0xe10, no `cycles`). */
  readonly ext64?: boolean;
  readonly supports?: {
    readonly filters?: Feature;
    readonly cycleCounter?: Feature;
    readonly overflow?: Feature;
    readonly hotSwap?: Feature;
  };
}

const DEV = '/bus/event_source/devices';

/**
 * The backend conformance suite, in the host test runner's describe/it:
 * probe and remove, unique names, well-formed sysfs that our grammar parses,
 * every event opening and counting, filters reaching the registers, group
 * validation, the cycle counter, overflow folding, hot swap under live
 * events and unload refused while busy. A backend skips a feature it cannot
 * do by giving the reason, which is shown.
 */
export function runBackendConformance(o: ConformanceOptions): void {
  const names = typeof o.backend.name === 'string' ? [o.backend.name] : [...o.backend.name];
  const installed = [o.backend.package, ...(o.alsoInstalled ?? [])];
  const given = typeof o.platform === 'string' ? builtinPlatform(o.platform) : o.platform;
  const spec: PlatformSpec = o.ext64 ? { ...given, pmus: given.pmus.map((p) => ({ ...p, ext64: true, counters: Math.min(p.counters, 128) })) } : given;
  const boot = (extra: Partial<MachineOptions> = {}) => Machine.boot({ platform: spec, installed, ...extra });
  const mine = (m: Machine) => m.driver.bindings().filter((b) => names.includes(b.backend) && b.module === o.backend.module);
  /** A regular (non-cycles) event of a PMU: a listed one, else a raw event=0x1. */
  const regularEvent = (m: Machine, pmu: string) => m.kernel.sysfs.list(`${DEV}/${pmu}/events`).find((e) => !e.includes('.') && e !== 'cycles') ?? 'event=0x1';
  /** The checks that count `cycles` do not apply where the extension hides it. */
  const countsCycles = (f: Feature | undefined): Feature | undefined => (o.ext64 ? 'FEAT_CSPMU_EXT64 has no cycles event to count' : f);
  const feature = (f: Feature | undefined, title: string, fn: () => Promise<void>) => {
    if (f === undefined || f === true) o.it(title, fn);
    else
      o.it(`${title} (skipped: ${f})`, function () {
        this.skip();
      });
  };

  o.describe(
    `backend conformance: ${names.join(', ')} (${o.backend.module}) on ${loadPlatform(spec).name}${o.ext64 ? ' with FEAT_CSPMU_EXT64' : ''}`,
    function () {
      this.timeout(120000);

      o.it('binds every device it claims, releases everything on remove, and binds again', async () => {
        const m = await boot();
        const bound = mine(m);
        expect(bound.length, 'devices bound to the backend').to.be.greaterThan(0);
        expect(m.bus.deferredDevices()).to.deep.equal([]);
        for (const b of bound) {
          const dev = m.bus.device(b.device)!;
          const maps = () => m.mmio.mappings().filter((io) => io.owner === b.device).length;
          expect(maps()).to.be.greaterThan(0);
          await m.bus.deviceReleaseDriver(dev);
          expect(m.perf.pmuByName(b.pmu), `${b.pmu} unregistered`).to.equal(undefined);
          expect(maps(), `${b.device} mappings released`).to.equal(0);
          expect(m.kernel.sysfs.exists(`${DEV}/${b.pmu}`)).to.equal(false);
          await m.bus.attachDevice(dev);
          expect(dev.bound).to.equal(true);
        }
        expect(mine(m).length).to.equal(bound.length);
        expect(m.mmio.violations).to.deep.equal([]);
      });

      o.it('gives every PMU a unique, sysfs-safe name', async () => {
        const m = await boot();
        const pmus = m.driver.bindings().map((b) => b.pmu);
        expect(new Set(pmus).size).to.equal(pmus.length);
        for (const n of pmus) expect(n).to.match(/^[A-Za-z0-9_.-]{1,64}$/);
      });

      o.it('publishes well-formed sysfs attributes that the event grammar parses', async () => {
        const m = await boot();
        const fs = m.kernel.sysfs;
        const grammar = m.grammar();
        for (const b of mine(m)) {
          const dir = `${DEV}/${b.pmu}`;
          expect(fs.read(`${dir}/type`)).to.match(/^\d+\n$/);
          expect(fs.read(`${dir}/identifier`)).to.match(/^[0-9a-f]+\n$/);
          expect(fs.read(`${dir}/cpumask`)).to.match(/^(\d+)?\n$/);
          parseCpuList(fs.read(`${dir}/associated_cpus`));
          for (const f of fs.list(`${dir}/format`)) parseFormat(f, fs.read(`${dir}/format/${f}`));
          for (const e of fs.list(`${dir}/events`)) {
            const text = fs.read(`${dir}/events/${e}`);
            if (e.endsWith('.scale')) expect(Number(text)).to.be.greaterThan(0);
            else if (e.endsWith('.unit')) expect(text).to.match(/^[A-Za-z][\w/ ]*\n$/);
            else {
              expect(text).to.match(/^event=0x[0-9a-f]+(,[a-z_0-9]+=(0x[0-9a-f]+|\d+))*\n$/);
              expect(grammar.parse(`${b.pmu}/${e}/`)).to.have.length(1);
            }
          }
        }
      });

      o.it('counts exactly its modelled rate for every listed event on every PMU instance', async () => {
        const m = await boot();
        for (const b of mine(m)) {
          const events = m.kernel.sysfs.list(`${DEV}/${b.pmu}/events`).filter((e) => !e.includes('.'));
          if (events.length === 0) continue;
          let modelled = 0;
          for (const name of events) {
            const what = `${b.pmu}/${name}/`;
            const [e] = m.open(what);
            const t0 = m.clock.now();
            const phys = e!.hw.idx;
            expect(phys, `${what} is on a counter`).to.be.at.least(0);
            const rate = modelledRate(m, b.device, phys, listedCode(m.kernel.sysfs.read(`${DEV}/${b.pmu}/events/${name}`)), what);
            m.advance(10_000);
            const r = m.perf.read(e!);
            const expected = rate.at(m.clock.now()) - rate.at(t0);
            expect(r.timeRunning, `${what} ran`).to.equal(r.timeEnabled);
            expect(r.value, what).to.equal(expected);
            if (expected > 0) modelled++;
            await m.perf.close(e!);
          }
          // Every event must count exactly, and at least one must count something, or "exactly" proves nothing.
          expect(modelled, `events of ${b.pmu} that the platform's workload drives`).to.be.greaterThan(0);
        }
      });

      feature(o.supports?.filters, 'programs its format fields into filter registers', async () => {
        const m = await boot();
        const fs = m.kernel.sysfs;
        const filterFields = (pmu: string) => fs.list(`${DEV}/${pmu}/format`).filter((f) => /^config[12]:/.test(fs.read(`${DEV}/${pmu}/format/${f}`)));
        const b = mine(m).find((x) => filterFields(x.pmu).length > 0);
        expect(b, 'a PMU with config1/config2 format fields').to.not.equal(undefined);
        const fields = filterFields(b!.pmu);
        const event = regularEvent(m, b!.pmu);
        const inst = m.driver.instanceByName(b!.pmu)!;
        const writes = async (text: string) => {
          const log: string[] = [];
          const stop = m.mmio.observe({
            onAccess: (io, off, _w, write, lo) => {
              if (write && io === inst.base0 && ((off >= 0x800 && off < 0xc00) || (off >= 0xd80 && off < 0xe00))) log.push(`0x${off.toString(16)}=${lo}`);
            },
          });
          const [e] = m.open(text);
          stop();
          await m.perf.close(e!);
          return log;
        };
        for (const f of fields) {
          const a = await writes(`${b!.pmu}/${event},${f}=1/`);
          const c = await writes(`${b!.pmu}/${event},${f}=2/`);
          expect(a.length, `${f} reaches a filter register`).to.be.greaterThan(0);
          expect(a, `${f}=1 and ${f}=2 program different values`).to.not.deep.equal(c);
        }
      });

      o.it('refuses a group larger than its counters (EINVAL) and accepts one that fits', async () => {
        const m = await boot();
        const b = mine(m)[0]!;
        const inst = m.driver.instanceByName(b.pmu)!;
        const regular = inst.numLogicalCounters - (inst.hasCycleCounter ? 1 : 0);
        const one = `${b.pmu}/${regularEvent(m, b.pmu)}/`;
        const fits = m.open(`{${Array(regular).fill(one).join(',')}}`);
        expect(fits).to.have.length(regular);
        for (const e of fits.reverse()) await m.perf.close(e);
        try {
          m.open(
            `{${Array(regular + 1)
              .fill(one)
              .join(',')}}`,
          );
          expect.fail('a group larger than the counters opened');
        } catch (e) {
          expect(isKernelError(e, 'EINVAL'), String(e)).to.equal(true);
        }
        expect(m.perf.liveEvents()).to.have.length(0);
      });

      feature(countsCycles(o.supports?.cycleCounter), 'counts cycles on the cycle counter at the PMU clock, one cycles event at a time', async () => {
        const m = await boot();
        const b = mine(m)[0]!;
        const label = m.platform.pmus.find((p) => `arm-cs-arch-pmu.${p.id}` === b.device)!;
        const [c1, c2] = m.open(`${b.pmu}/cycles/,${b.pmu}/cycles/`);
        const t0 = m.clock.now();
        m.advance(8_000_000);
        const r1 = m.perf.read(c1!);
        const r2 = m.perf.read(c2!);
        // Only one cycle counter: the two events take turns, never overlap.
        expect(r1.timeRunning + r2.timeRunning).to.equal(m.clock.now() - t0);
        const rate = new ConstantRate(label.clockHz);
        expect(r1.value + r2.value).to.be.closeTo(rate.at(m.clock.now()) - rate.at(t0), 2);
      });

      feature(countsCycles(o.supports?.overflow), 'folds counter overflows without losing counts (32-bit counters)', async () => {
        const narrow = JSON.parse(JSON.stringify(spec)) as {
          pmus: { counterBits: number; atomic64: boolean; counters: number; clockHz: number; irq?: unknown }[];
        };
        for (const p of narrow.pmus) {
          p.counterBits = 32;
          p.atomic64 = false;
          p.counters = Math.min(p.counters, 256);
        }
        const m = await Machine.boot({ platform: narrow as unknown as PlatformSpec, installed });
        const b = mine(m).find((x) => m.driver.instanceByName(x.pmu)!.irq !== 0)!;
        expect(b, 'a PMU with an overflow interrupt').to.not.equal(undefined);
        const label = m.platform.pmus.find((p) => `arm-cs-arch-pmu.${p.id}` === b.device)!;
        const [e] = m.open(`${b.pmu}/cycles/`);
        const t0 = m.clock.now();
        const span = Math.ceil((3 * 2 ** 31 * 1e9) / label.clockHz);
        m.advance(span);
        const rate = new ConstantRate(label.clockHz);
        expect(m.perf.read(e!).value).to.equal(rate.at(m.clock.now()) - rate.at(t0));
        expect(m.kernel.irqs.stats(label.irq!.gsi).handled).to.be.at.least(2);
      });

      feature(countsCycles(o.supports?.hotSwap), 'swaps in under live events and out when idle; unload is refused while busy', async () => {
        const m = await boot();
        await m.unload(o.backend.module);
        expect(mine(m)).to.have.length(0);
        const victim = m.driver.bindings().find((x) => m.driver.instanceByName(x.pmu)!.hasCycleCounter)!;
        const label = m.platform.pmus.find((p) => `arm-cs-arch-pmu.${p.id}` === victim.device)!;
        const rate = new ConstantRate(label.clockHz);
        const [e] = m.open(`${victim.pmu}/cycles/`);
        const t0 = m.clock.now();
        m.advance(1_000_000);
        await m.load(o.backend.package);
        expect(m.driver.bindings().find((x) => x.device === victim.device)).to.include({ reprobePending: true, pmu: victim.pmu });
        m.advance(1_000_000);
        expect(m.perf.read(e!).value).to.equal(rate.at(m.clock.now()) - rate.at(t0));
        await m.perf.close(e!);
        await m.settle();
        const moved = m.driver.bindings().find((x) => x.device === victim.device)!;
        expect(names).to.include(moved.backend);
        const [busy] = m.open(`${moved.pmu}/cycles/`);
        try {
          await m.unload(o.backend.module);
          expect.fail('unload succeeded with a live event');
        } catch (err) {
          expect(isKernelError(err, 'EWOULDBLOCK'), String(err)).to.equal(true);
        }
        await m.perf.close(busy!);
        await m.unload(o.backend.module);
        expect(mine(m)).to.have.length(0);
        expect(m.kernel.kasan.reports).to.deep.equal([]);
        expect(m.mmio.violations).to.deep.equal([]);
      });
    },
  );
}
