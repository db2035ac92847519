// Bad-input tests: random and mutated APMT tables, platform files, event strings, attrs, MMIO accesses and module names fail cleanly.
import { apmtNodesOf, BUILTIN_PLATFORMS, buildApmt, decodeApmt, failuresOf, GRACE_PLATFORM, loadPlatform, parseApmt } from '@cspmu/hw';
import { createKernel, KernelError, type ModuleLoader, TOKENS } from '@cspmu/kernel';
import { BusError, MmioBus } from '@cspmu/mmio';
import { EventParseError } from '@cspmu/perf-tool';
import { PluginDiscovery } from '@cspmu/plugin-discovery';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import fc from 'fast-check';

const seed = Number(process.env['CSPMU_SEED'] ?? 20261122);

/** Run `fn`; it may succeed, or fail with a KernelError (whose code is in `codes`, if given) and nothing else. */
async function onlyKernelErrors(fn: () => unknown, codes?: readonly string[]): Promise<KernelError | undefined> {
  try {
    await fn();
    return undefined;
  } catch (e) {
    if (!(e instanceof KernelError)) throw new Error(`not a KernelError: ${String(e)}`);
    if (codes && !codes.includes(e.code)) throw new Error(`unexpected errno ${e.code}: ${e.message}`);
    return e;
  }
}

const graceApmt = buildApmt(apmtNodesOf(loadPlatform(GRACE_PLATFORM)));

describe('Bad-input hardening', function () {
  before(() => console.log(`      hardening property seed ${seed} (CSPMU_SEED=${seed} replays it)`));
  this.timeout(300000);

  it('APMT: random and mutated tables give findings, and decode refuses exactly those with a failure (EINVAL), never another exception', async () => {
    const mutated = fc.array(fc.tuple(fc.nat(graceApmt.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }).map((muts) => {
      const b = graceApmt.slice();
      for (const [i, v] of muts) b[i] = v;
      return b;
    });
    const truncated = fc.nat(graceApmt.length).map((n) => graceApmt.slice(0, n));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, truncated, fc.uint8Array({ maxLength: 400 })), async (bytes) => {
        const { violations } = parseApmt(bytes);
        const err = await onlyKernelErrors(() => decodeApmt(bytes), ['EINVAL']);
        expect(err === undefined).to.equal(failuresOf(violations).length === 0);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('APMT: booting from a corrupt table fails cleanly and leaves nothing half-built', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 36, max: graceApmt.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        async (muts) => {
          const b = graceApmt.slice();
          for (const [i, v] of muts) b[i] = v;
          const err = await onlyKernelErrors(() => Machine.boot({ platform: 'grace', apmt: b, installed: [] }));
          if (err) expect(err.code).to.be.oneOf(['EINVAL', 'ENXIO', 'EEXIST', 'ENODEV']);
        },
      ),
      { seed, numRuns: 60 },
    );
  });

  it('platform files: random and mutated descriptions load or fail with EINVAL naming a field', async () => {
    const base = JSON.parse(JSON.stringify(BUILTIN_PLATFORMS['arm-generic']));
    const mutation = fc.record({
      pmu: fc.nat(4),
      key: fc.constantFrom('counters', 'counterBits', 'base0', 'base1', 'id', 'label', 'irq', 'affinity', 'type', 'implementer', 'clockHz', 'colour'),
      value: fc.jsonValue(),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { maxLength: 4 }), fc.anything(), async (muts, junk) => {
        const spec = JSON.parse(JSON.stringify(base));
        for (const { pmu, key, value } of muts) spec.pmus[pmu][key] = value;
        const err = await onlyKernelErrors(() => loadPlatform(spec), ['EINVAL']);
        if (err) expect(err.message).to.match(/platform 'arm-generic': /);
        await onlyKernelErrors(() => loadPlatform(junk), ['EINVAL']);
      }),
      { seed, numRuns: 400 },
    );
  });

  it('event strings: random and mutated strings parse or fail with a located EINVAL', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const g = m.grammar();
    const valid = [
      'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/',
      '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_0/cmem_rd_data/}:u',
      'nvidia_cnvlink_pmu/event=010,rem_socket=2/',
    ];
    const mutated = fc
      .tuple(
        fc.constantFrom(...valid),
        fc.array(fc.tuple(fc.nat(60), fc.constantFrom('/', ',', '{', '}', '=', 'x', '0x', ':', ' ', '9', '?', '*')), { maxLength: 4 }),
      )
      .map(([s, muts]) => {
        let out = s;
        for (const [i, c] of muts) out = out.slice(0, i % (out.length + 1)) + c + out.slice(i % (out.length + 1));
        return out;
      });
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, fc.string({ maxLength: 40 })), async (text) => {
        try {
          g.parse(text);
        } catch (e) {
          expect(e).to.be.instanceOf(EventParseError);
          expect((e as EventParseError).column).to.be.at.least(1);
        }
      }),
      { seed, numRuns: 1000 },
    );
  });

  it('attrs: random perf_event_attr values are refused with KernelErrors and leave no event behind', async () => {
    const m = await Machine.boot({ platform: 'grace' });
    const types = m.perf.pmus().map((p) => p.type);
    const attr = fc.record(
      {
        type: fc.oneof(fc.constantFrom(...types), fc.integer({ min: -2, max: 40 }), fc.double()),
        config: fc.oneof(fc.bigInt({ min: -1n, max: 1n << 65n }), fc.integer(), fc.constant(undefined)),
        config1: fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.string()),
        sample_period: fc.oneof(fc.nat(10), fc.double()),
        exclude_user: fc.oneof(fc.boolean(), fc.nat(2)),
        read_format: fc.nat(32),
        disabled: fc.boolean(),
      },
      { requiredKeys: ['type'] },
    );
    await fc.assert(
      fc.asyncProperty(attr, fc.integer({ min: -2, max: 200 }), fc.integer({ min: -2, max: 3 }), async (a, cpu, pid) => {
        const before = m.perf.liveEvents().length;
        let opened: Awaited<ReturnType<typeof m.perf.open>> | undefined;
        const err = await onlyKernelErrors(() => (opened = m.perf.open(a as never, { cpu, pid })));
        if (err) expect(m.perf.liveEvents()).to.have.length(before);
        if (opened) await m.perf.close(opened);
      }),
      { seed, numRuns: 1500 },
    );
    expect(m.perf.liveEvents()).to.have.length(0);
    expect(m.driver.bindings().every((b) => b.events === 0)).to.equal(true);
  });

  it('MMIO accesses: bad offsets and widths are BusErrors and leave the device unchanged', async () => {
    const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
    const io = m.mmio.ioremap(0x50000000, 0x1000, 'fuzz');
    const snapshot = () => [...m.hardware.device('mc0').page0.state];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: -16, max: 0x1010 }), fc.double()),
        fc.constantFrom('readb', 'readw', 'readl', 'readq', 'writeb', 'writew', 'writel', 'writeq'),
        async (off, op) => {
          const before = snapshot();
          try {
            if (op === 'readq') io.readq(off);
            else if (op === 'writeq') io.writeq(0x1234n, off);
            else if (op.startsWith('read')) (io as unknown as Record<string, (o: number) => number>)[op]!(off);
            else (io as unknown as Record<string, (v: number, o: number) => void>)[op]!(0, off);
          } catch (e) {
            expect(e).to.be.instanceOf(BusError);
            expect(snapshot()).to.deep.equal(before);
          }
        },
      ),
      { seed, numRuns: 2000 },
    );
  });

  it('module names: anything that is not a bare name is EINVAL and nothing is loaded', async () => {
    const { container } = createKernel({ plugins: new PluginDiscovery({ roots: ['/nonexistent-root'] }) });
    const loader = container.get<ModuleLoader>(TOKENS.Modules);
    const hostile = fc.oneof(
      fc.string(),
      fc.constantFrom('../x', './x', '/etc/passwd', 'file:///x', 'node:fs', 'fs', 'child_process', 'a/../../b', '@s/p/../../x', 'C:\\x', 'http://h/x'),
      fc.tuple(fc.constantFrom('', '.', '..', '/', '@'), fc.string()).map(([a, b]) => a + b),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        const err = await onlyKernelErrors(() => loader.load(name), ['EINVAL', 'ENOENT']);
        expect(err).to.not.equal(undefined);
        expect(loader.list()).to.have.length(0);
      }),
      { seed, numRuns: 800 },
    );
  });

  it('MmioBus and sysfs refuse bad arguments with KernelErrors', async () => {
    const { kernel } = createKernel();
    const bus = new MmioBus(kernel);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.integer(), fc.double()), fc.oneof(fc.integer(), fc.double()), async (phys, size) => {
        await onlyKernelErrors(() => bus.ioremap(phys, size, 'x'), ['EINVAL', 'ENXIO', 'ENOMEM']);
        await onlyKernelErrors(() => kernel.sysfs.read(`/bus/${phys}`), ['ENOENT']);
      }),
      { seed, numRuns: 300 },
    );
    expect(bus.mappings()).to.have.length(0);
  });
});
