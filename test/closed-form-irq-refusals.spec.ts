// Overflow interrupts in closed form: a replay the last handled interrupt cannot stand for is refused and changes nothing.

import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { onePmu } from './helpers/platforms.js';

describe('Overflow interrupts in closed form: replays the last interrupt cannot stand for', function () {
  this.timeout(60000);

  it('before the handler has folded anything there is no interrupt to repeat: a replay, with or without reads, is refused', async () => {
    const m = await Machine.boot({ platform: onePmu(8, 0), installed: [] });
    const irqs = m.kernel.irqs;
    expect(irqs.replayDeliveries(100, 2)).to.equal(false);
    expect(irqs.replayDeliveries(100, 2, { source: 31, values: [0], counts: [2] })).to.equal(false);
    expect(irqs.stats(100)).to.deep.equal({ delivered: 0, handled: 0, spurious: 0, unhandled: 0 });
    await m.shutdown();
  });

  it('two counters folded by the last interrupt: reads of one of them cannot stand for both and are refused; the same delta for each is applied', async () => {
    const m = await Machine.boot({ platform: onePmu(8, 0), installed: [] });
    const w = m.driver.bindings()[0]!.pmu;
    // Both count 10^9 events a second from a preload of 127: each interrupt folds 129 events into each.
    const evs = m.open(`{${w}/event=0x1/,${w}/cycles/}`);
    expect(evs.map((e) => e.hw.idx)).to.deep.equal([0, 31]);
    const irqs = m.kernel.irqs;
    // Stepped: the tracepoint makes the driver refuse every replay until it is disabled.
    m.kernel.trace.enable('rwmmio:rwmmio_read');
    m.advance(130);
    m.kernel.trace.enable('rwmmio:rwmmio_read', false);
    const counts = () => evs.map((e) => m.perf.read(e).value);
    expect([counts(), irqs.stats(100).handled]).to.deep.equal([[130, 130], 1]);
    for (const source of [0, 31]) expect(irqs.replayDeliveries(100, 2, { source, values: [0], counts: [2] }), `reads of ${source}`).to.equal(false);
    expect([counts(), irqs.stats(100).handled]).to.deep.equal([[130, 130], 1]);
    expect(irqs.replayDeliveries(100, 2)).to.equal(true);
    expect([counts(), irqs.stats(100).handled]).to.deep.equal([[388, 388], 3]);
    await m.shutdown();
  });
});
