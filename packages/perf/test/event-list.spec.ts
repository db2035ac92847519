// Tests of the core's intrusive event lists: insertion order, removal from anywhere, one list per event, and what open and close leave on them.
import { expect } from 'chai';
import { EventList } from '../src/event-list.js';
import { perfRig } from './helpers.js';

describe('perf core: event lists', () => {
  it('keeps insertion order through removals at the head, middle and tail', () => {
    const { core, type } = perfRig();
    const [a, b, c, d] = [0, 1, 2, 3].map(() => core.open({ type, config: 1n }, { cpu: 0 }));
    const list = new EventList('test');
    expect(core.liveEvents()).to.deep.equal([a, b, c, d]);
    void core.close(b!);
    expect(core.liveEvents()).to.deep.equal([a, c, d]);
    void core.close(a!);
    void core.close(d!);
    expect(core.liveEvents()).to.deep.equal([c]);
    // A closed, freed event is on no list, so another list may take it; a second list may not take it while it is on one.
    list.add(a!);
    list.add(b!);
    expect(() => list.add(a!)).to.throw(/already on the test list/);
    expect(() => new EventList('other').add(c!)).to.throw(/already on the live list; it cannot join other/);
    expect(list.delete(c!)).to.equal(false);
    expect(list.delete(a!)).to.equal(true);
    expect([list.toArray(), list.size]).to.deep.equal([[b], 1]);
    expect(core.isLive(c!)).to.equal(true);
    expect(core.isLive(a!)).to.equal(false);
  });
});
