// Multiplexing in closed form where the driver needs no check of its own: a released instance reaches no device, a software member has no counter, and a tracepoint that records nothing in a rotation does not stop it.

import type { PerfEvent } from '@cspmu/perf';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { onePmu } from './helpers/platforms.js';

describe('Multiplexing in closed form: what the replay cannot reach', function () {
  this.timeout(60000);

  it('a released instance asked to replay (a stale pointer) reaches no device: nothing is counted', async () => {
    const outcome = async (release: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      const { pmu, device } = m.driver.bindings()[0]!;
      const inst = m.driver.instanceByName(pmu)!;
      // One event alone counts 10^6 events on its counter over 1 ms from its preload; closing it ends that run.
      const [e] = m.open(`${pmu}/event=0x1/`);
      const start = m.kernel.clock.now();
      m.advance(1_000_000);
      const end = m.kernel.clock.now();
      const idx = e!.hw.idx;
      await m.perf.close(e!);
      if (release) await m.bus.deviceReleaseDriver(m.bus.device(device)!);
      const hw = m.hardware.device('w');
      const before = { count: e!.count, counter: hw.counterValue(idx) };
      const cycles = inst.replayRotations!({ windows: [{ event: e!, idx, start, end }], active: [], period: end - start, maxCycles: 3 });
      const after = { count: e!.count, counter: hw.counterValue(idx) };
      await m.shutdown();
      return { cycles, counted: after.count - before.count, counterKept: after.counter === before.counter };
    };
    // While bound, the same request is a cycle the device repeats (its idle counter keeps the value its last copy leaves, the same at a
    // steady rate), so only the release refuses it below.
    expect(await outcome(false)).to.deep.equal({ cycles: 3, counted: 3_000_000, counterKept: true });
    expect(await outcome(true)).to.deep.equal({ cycles: 0, counted: 0, counterKept: true });
  });

  it('a group with a software member multiplexes exactly as stepped: cpu-clock counts its own time on the PMU', async () => {
    const outcome = async (stepwise: boolean) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      if (stepwise) m.kernel.trace.enable('rwmmio:rwmmio_read');
      const w = m.driver.bindings()[0]!.pmu;
      const three = `{${w}/event=0x1/,${w}/event=0x2/,${w}/event=0x3/}`;
      const evs: PerfEvent[] = [`{${w}/event=0x1/,cpu-clock}`, three, three].flatMap((g) => m.open(g));
      m.perf.setMuxInterval(evs[0]!.pmu, 1);
      const reads = [];
      for (const ns of [20_300_000, 30_000_000]) {
        m.advance(ns);
        reads.push(evs.map((e) => m.perf.read(e)).map((r) => [r.value, r.timeEnabled, r.timeRunning]));
      }
      await m.shutdown();
      return reads;
    };
    const stepped = await outcome(true);
    // The software member counts the nanoseconds its group was on the PMU: its running time.
    const [, clock] = stepped.at(-1)!;
    expect(clock![0]).to.equal(clock![2]);
    expect(clock![2]).to.be.above(0);
    expect(await outcome(false)).to.deep.equal(stepped);
  });

  it('only the lifecycle tracepoint enabled: it records nothing in a rotation, so the rotations are applied in closed form', async () => {
    const outcome = async (tracepoint: string | undefined) => {
      const m = await Machine.boot({ platform: onePmu(32, 0), installed: [] });
      const w = m.driver.bindings()[0]!.pmu;
      const evs = ['event=0x1/', 'event=0x2/', 'event=0x3/', 'cycles/', 'event=0x1/'].flatMap((e) => m.open(`${w}/${e}`));
      m.perf.setMuxInterval(evs[0]!.pmu, 1);
      if (tracepoint !== undefined) m.kernel.trace.enable(tracepoint);
      const mark = m.kernel.clock.work.steps;
      m.advance(50_000_000);
      await m.perf.close(evs[4]!);
      m.advance(50_000_000);
      const reads = evs.slice(0, 4).map((e) => m.perf.read(e));
      const lifecycle = m.kernel.trace
        .peek()
        .filter((l) => l.event === 'lifecycle')
        .map((l) => l.text);
      const work = m.kernel.clock.work.since(mark);
      await m.shutdown();
      return { reads, lifecycle, work };
    };
    const traced = await outcome('cspmu:lifecycle');
    const stepped = await outcome('*');
    expect(traced.lifecycle).to.deep.equal(stepped.lifecycle);
    expect(traced.lifecycle.length).to.be.above(0);
    expect(traced.reads).to.deep.equal(stepped.reads);
    expect(traced.work * 2).to.be.below(stepped.work);
  });
});
