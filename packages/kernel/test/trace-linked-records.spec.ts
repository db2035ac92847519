// Tests of linked trace records: a record whose fields are in the next record, as a writer of two records at once leaves it.
import { expect } from 'chai';
import { LINK_WORD, ManualClock, TraceFs } from '../src/index.js';

/** A trace directory with `before` (a's fields) and `after` (a's fields plus more, in other words of its record). */
function fsWithPair(capacity = 8) {
  const clock = new ManualClock();
  const fs = new TraceFs(
    () => clock.now(),
    () => 2,
    capacity,
    'overwrite',
    8,
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

  it("loses only a record linked to a partner that lacks one of its fields: the kernel's lost-events line in its place, the rest read on", () => {
    const { clock, fs, before, after } = fsWithPair();
    before.emit(fs.strings.intern('first'), 3, 0);
    // 'after' linked to a 'before', which has no 'val'.
    writeLinked(fs, after.id, before.id, { 3: fs.strings.intern('x'), 4: 1, 5: 0 }, 1, 2);
    clock.advance(5);
    before.emit(fs.strings.intern('last'), 4, 0);
    const expected = [
      { event: 'before', timeNs: 0, cpu: 2, text: 'who=first addr=3' },
      { event: '', timeNs: 1, cpu: 5, text: 'CPU:5 [LOST 1 EVENTS]', lost: 1 },
      { event: 'before', timeNs: 2, cpu: 5, text: 'who=x addr=1' },
      { event: 'before', timeNs: 5, cpu: 2, text: 'who=last addr=4' },
    ];
    // The trace file shows it as often as it is read, and counts nothing lost: the record is still held.
    expect(fs.peek()).to.deep.equal(expected);
    expect(fs.peek()).to.deep.equal(expected);
    expect(fs.text().split('\n')).to.deep.equal([
      '           cspmu-0       [002] .....     0.000000: before: who=first addr=3',
      'CPU:5 [LOST 1 EVENTS]',
      '           cspmu-0       [005] .....     0.000000: before: who=x addr=1',
      '           cspmu-0       [002] .....     0.000000: before: who=last addr=4',
    ]);
    expect([fs.ring.length, fs.lost]).to.deep.equal([4, 0]);
    // trace_pipe consumes all four and counts the unreadable one lost, once.
    expect(fs.read()).to.deep.equal(expected);
    expect([fs.ring.length, fs.lost]).to.deep.equal([0, 1]);
    expect(fs.read()).to.deep.equal([]);
    before.emit(fs.strings.intern('after'), 5, 0);
    expect(fs.read().map((l) => l.text)).to.deep.equal(['who=after addr=5']);
    expect(fs.lost).to.equal(1);
    fs.clear();
    expect(fs.lost).to.equal(0);
  });

  it('loses a record linked to a partner whose field of that name is of another kind', () => {
    const { fs, before } = fsWithPair();
    // 'who' is a str in 'before' and a u32 here.
    const other = fs.define({
      system: 'test',
      name: 'other',
      fields: [
        { name: 'who', kind: 'u32' },
        { name: 'addr', kind: 'u64' },
      ],
      format: (r) => `who=${r.num('who')} addr=${r.u64('addr')}`,
    });
    writeLinked(fs, before.id, other.id, { 3: 9, 4: 1, 5: 0 }, 1, 2);
    expect(fs.peek().map((l) => l.text)).to.deep.equal(['CPU:5 [LOST 1 EVENTS]', 'who=9 addr=1']);
  });

  it('loses a linked record whose partner is not held, or is linked itself, or whose event is not defined', () => {
    const { fs, before, after } = fsWithPair();
    const ring = fs.ring;
    // The newest record, linked: no partner is held.
    const lone = (id: number, cpu: number, link: number) => {
      const b = (ring.claim(1) & ring.mask) * 12;
      ring.doubles[b / 2] = 0;
      ring.words[b + 2] = id | (cpu << 16);
      ring.words[b + LINK_WORD] = link;
    };
    lone(before.id, 1, 1);
    expect(fs.peek().map((l) => l.text)).to.deep.equal(['CPU:1 [LOST 1 EVENTS]']);
    fs.read();
    // A linked record linked to a linked one (whose own words hold no fields), then a record of no defined event.
    lone(before.id, 1, 1);
    lone(after.id, 1, 1);
    after.emit(7, fs.strings.intern('y'), 8, 0);
    lone(999, 3, 0);
    before.emit(fs.strings.intern('z'), 6, 0);
    expect(fs.peek().map((l) => `${l.cpu} ${l.text}`)).to.deep.equal([
      '1 CPU:1 [LOST 1 EVENTS]',
      '1 val=7 who=y addr=8',
      '2 val=7 who=y addr=8',
      '3 CPU:3 [LOST 1 EVENTS]',
      '2 who=z addr=6',
    ]);
    expect(fs.read().length).to.equal(5);
    expect(fs.lost).to.equal(3);
  });

  it("shows consecutive unreadable records of one CPU as one line, and each CPU's apart", () => {
    const { fs, before, after } = fsWithPair(16);
    const ring = fs.ring;
    const lone = (cpu: number) => {
      const b = (ring.claim(1) & ring.mask) * 12;
      ring.doubles[b / 2] = cpu;
      ring.words[b + 2] = 500 | (cpu << 16);
    };
    lone(4);
    lone(4);
    lone(4);
    lone(6);
    writeLinked(fs, after.id, before.id, { 3: fs.strings.intern('p'), 4: 2, 5: 0 }, 7, 8);
    expect(fs.peek()).to.deep.equal([
      { event: '', timeNs: 4, cpu: 4, text: 'CPU:4 [LOST 3 EVENTS]', lost: 3 },
      { event: '', timeNs: 6, cpu: 6, text: 'CPU:6 [LOST 1 EVENTS]', lost: 1 },
      { event: '', timeNs: 7, cpu: 5, text: 'CPU:5 [LOST 1 EVENTS]', lost: 1 },
      { event: 'before', timeNs: 8, cpu: 5, text: 'who=p addr=2' },
    ]);
    fs.read();
    expect(fs.lost).to.equal(5);
  });
});
