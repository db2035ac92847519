// Tests of linked trace records: a record whose fields are in the next record, as a writer of two records at once leaves it.
import { expect } from 'chai';
import { KernelError, LINK_WORD, ManualClock, TraceFs } from '../src/index.js';

/** A trace directory with `before` (a's fields) and `after` (a's fields plus more, in other words of its record). */
function fsWithPair(capacity = 8) {
  const clock = new ManualClock();
  const fs = new TraceFs(
    () => clock.now(),
    () => 2,
    capacity,
    'overwrite',
  );
  const before = fs.define({
    system: 'test',
    name: 'before',
    fields: [
      { name: 'who', kind: 'str' },
      { name: 'addr', kind: 'u64' },
    ],
    format: (r) => `who=${r.str('who')} addr=${r.u64('addr')}`,
  });
  const after = fs.define({
    system: 'test',
    name: 'after',
    fields: [
      { name: 'val', kind: 'u32' },
      { name: 'who', kind: 'str' },
      { name: 'addr', kind: 'u64' },
    ],
    format: (r) => `val=${r.num('val')} who=${r.str('who')} addr=${r.u64('addr')}`,
  });
  before.enabled = true;
  after.enabled = true;
  return { clock, fs, before, after };
}

/** Write `first` as time and header only, linked to `second`, which gets the fields; as a pair writer does. */
function writeLinked(fs: TraceFs, first: number, second: number, secondWords: Record<number, number>, t0: number, t1: number): void {
  const ring = fs.ring;
  const w = ring.claim(2);
  const b = (w & ring.mask) * 12;
  const p = ((w + 1) & ring.mask) * 12;
  ring.doubles[b / 2] = t0;
  ring.words[b + 2] = first | (5 << 16);
  ring.words[b + LINK_WORD] = 1;
  ring.doubles[p / 2] = t1;
  ring.words[p + 2] = second | (5 << 16);
  for (const [k, v] of Object.entries(secondWords)) ring.words[p + Number(k)] = v;
  ring.words[p + LINK_WORD] = 0;
}

describe('Trace records linked to the next one', () => {
  it("reads a linked record's fields from the next record by name, with its own time, CPU and event", () => {
    const { fs, before, after } = fsWithPair();
    const who = fs.strings.intern('reader');
    // after: val at 3, who at 4, addr at 5-6.
    writeLinked(fs, before.id, after.id, { 3: 7, 4: who, 5: 0x100, 6: 1 }, 1000, 2000);
    expect(fs.peek()).to.deep.equal([
      { event: 'before', timeNs: 1000, cpu: 5, text: `who=reader addr=${2n ** 32n + 0x100n}` },
      { event: 'after', timeNs: 2000, cpu: 5, text: `val=7 who=reader addr=${2n ** 32n + 0x100n}` },
    ]);
  });

  it('a record reserved where a linked one was has its own fields again', () => {
    const { fs, before, after } = fsWithPair(2);
    writeLinked(fs, before.id, after.id, { 3: 7, 4: fs.strings.intern('old'), 5: 1, 6: 0 }, 1, 2);
    // The next record lands where the linked one was (storage of two records).
    before.emit(fs.strings.intern('new'), 9, 0);
    expect(fs.peek().map((l) => `${l.event} ${l.text}`)).to.deep.equal(['after val=7 who=old addr=1', 'before who=new addr=9']);
  });

  it('a record whose event has a field in the link word keeps that field, whatever its value', () => {
    const { fs, before } = fsWithPair();
    expect(before.layout.linkable).to.equal(true);
    // A double (words 4-5) and seven u32 fields fill words 3 and 6-11: the last is in the link word.
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const full = fs.define({
      system: 'test',
      name: 'full',
      fields: [{ name: 'n', kind: 'num' }, ...names.map((name) => ({ name, kind: 'u32' as const }))],
      format: (r) => names.map((n) => r.num(n)).join(' '),
    });
    expect(full.layout.places.get('g')?.word).to.equal(LINK_WORD);
    expect(full.layout.linkable).to.equal(false);
    full.enabled = true;
    full.emit(0.5, 7, 6, 5, 4, 3, 2, 1);
    expect(fs.peek().map((l) => l.text)).to.deep.equal(['7 6 5 4 3 2 1']);
  });

  it('refuses to read a linked record whose next record lacks one of its fields', () => {
    const { fs, before, after } = fsWithPair();
    writeLinked(fs, after.id, before.id, { 3: fs.strings.intern('x'), 4: 1, 5: 0 }, 1, 2);
    let err: unknown;
    try {
      fs.peek();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(KernelError);
    expect((err as KernelError).code).to.equal('EIO');
    expect((err as KernelError).detail).to.equal("trace event 'after': its record's field 'val' was to be in the next record, a 'before' without it");
  });
});
