// The format fields a grammar shares across machines: parsed once per text and name, frozen, bounded, and never a failure.
import { expect } from 'chai';
import { parsedFormat, parseFormat } from '../src/index.js';

describe('Format fields shared across grammars', () => {
  it('gives the field parseFormat gives, the same frozen object each time, per name and text', () => {
    const f = parsedFormat('event', 'config:0-7,32-33');
    expect(f).to.deep.equal(parseFormat('event', 'config:0-7,32-33'));
    expect(parsedFormat('event', 'config:0-7,32-33')).to.equal(f);
    expect(Object.isFrozen(f) && Object.isFrozen(f.bits)).to.equal(true);
    expect(() => (f.bits as number[]).push(40)).to.throw(TypeError);
    // Another name with the same text is another field (its name is in the errors it gives).
    const g = parsedFormat('filter', 'config:0-7,32-33');
    expect(g).to.not.equal(f);
    expect(g.name).to.equal('filter');
  });

  it('keeps no failure: a text that does not parse throws each time, as parseFormat does', () => {
    for (let i = 0; i < 2; i++) expect(() => parsedFormat('bad', 'config:7-3')).to.throw(/format 'bad': bits 7-3 are out of 0-63 or reversed/);
  });

  it('starts over past 4096 fields, so a process meeting ever new format files stays bounded', () => {
    const first = parsedFormat('bound0', 'config1:1');
    for (let i = 1; i <= 4096; i++) parsedFormat(`bound${i}`, 'config1:1');
    const again = parsedFormat('bound0', 'config1:1');
    expect(again).to.not.equal(first);
    expect(again).to.deep.equal(first);
  });
});
