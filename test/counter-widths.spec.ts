// Exact counts for every counter width: the driver's delta uses the counter's own mask, for widths 1 to 64.

import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { widthsPlatform } from './helpers/platforms.js';

describe('Counter widths 1 to 64', () => {
  it('a cycle counter of every width counts exactly what the clock gave (a 1-bit counter as Linux folds it)', async () => {
    const m = await Machine.boot({ platform: widthsPlatform(), installed: [] });
    const evs = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    const ns = 20_000;
    m.advance(ns);
    const counts = evs.map((e) => m.perf.read(e).value);
    // Linux preloads mask>>1 and adds (now - prev) & mask at each overflow: at 1 bit a period is
    // 2 events, whose masked delta is 0, so only the events since the last overflow remain.
    expect(counts[0]).to.equal(0);
    expect(counts.slice(1)).to.deep.equal(new Array(63).fill(ns));
    const w24 = m.hardware.device('w24');
    expect(w24.overflows).to.equal(0);
    const w2 = m.hardware.device('w2');
    // 2 bits: preload 1, an overflow every 3 events.
    expect(w2.overflows).to.equal(Math.floor(ns / 3));
  });

  it('a counter wider than 32 bits folds its overflow exactly: the high word wraps below the preload', async () => {
    const m = await Machine.boot({ platform: widthsPlatform(), installed: [] });
    const pmus = m.driver.bindings().map((b) => b.pmu);
    const evs = [33, 34, 40].map((w) => m.open(`${pmus[w - 1]}/cycles/`)[0]!);
    // A 33-bit counter preloaded with 2^32 - 1 overflows after 2^32 + 1 events: its high word goes from 1 back to 0.
    const ns = 5_000_000_000;
    m.advance(ns);
    expect(m.hardware.device('w33').overflows).to.equal(1);
    expect(m.hardware.device('w34').overflows).to.equal(0);
    expect(evs.map((e) => m.perf.read(e).value)).to.deep.equal([ns, ns, ns]);
  });
});

describe('Counter widths the hardening review found wrong', () => {
  it('1, 8, 24, 31 and 32 bits over 3 s of virtual time: exact counts (1 bit as Linux folds it), in closed form', async () => {
    const all = widthsPlatform();
    const platform = { ...all, pmus: all.pmus.filter((p) => [1, 8, 24, 31, 32].includes(p.counterBits)) };
    const m = await Machine.boot({ platform, installed: [] });
    const evs = m.driver.bindings().map((b) => m.open(`${b.pmu}/cycles/`)[0]!);
    const mark = m.kernel.clock.work.steps;
    m.advance(3_000_000_000);
    // Each overflow's (now - prev) is wrapped by the counter's own width: by 2^32 a 31-bit counter gained 2^31 per overflow.
    expect(evs.map((e) => m.perf.read(e).value)).to.deep.equal([0, 3e9, 3e9, 3e9, 3e9]);
    // Preloaded to 2^(w-1) - 1, a counter overflows every 2^(w-1) + 1 events.
    expect(['w8', 'w24', 'w31', 'w32'].map((l) => m.hardware.device(l).overflows)).to.deep.equal([
      Math.floor(3e9 / 129),
      Math.floor(3e9 / (2 ** 23 + 1)),
      Math.floor(3e9 / (2 ** 30 + 1)),
      Math.floor(3e9 / (2 ** 31 + 1)),
    ]);
    expect(m.kernel.clock.work.since(mark)).to.be.below(200);
  });
});
