// Tests of the trace ring's 48-byte records: values round-trip exactly at every width, the wrap mask, claims in drop mode, and the layout's limits.
import { expect } from 'chai';
import { Cpus, KernelError, ManualClock, RECORD_WORDS, RecordLayout, RingBuffer, TraceFs } from '../src/index.js';

function fsWith(capacity: number, mode: 'overwrite' | 'drop' = 'overwrite') {
  const clock = new ManualClock();
  const fs = new TraceFs(
    () => clock.now(),
    () => 0,
    capacity,
    mode,
  );
  const tp = fs.define({
    system: 'test',
    name: 'wide',
    fields: [
      { name: 'n', kind: 'num' },
      { name: 'w', kind: 'u32' },
      { name: 'val', kind: 'u64' },
      { name: 'who', kind: 'str' },
    ],
    format: (r) => `n=${r.num('n')} w=${r.num('w')} val=${r.u64('val')} who=${r.str('who')}`,
  });
  tp.enabled = true;
  return { clock, fs, tp };
}

describe('Trace records: 32-bit words, doubles where needed', () => {
  it('keeps 64-bit values exact across the 32-bit boundary, as a low and a high word', () => {
    const { fs, tp } = fsWith(8);
    const who = fs.strings.intern('x');
    const cases: [number, number, bigint][] = [
      [0xffffffff, 0, 2n ** 32n - 1n],
      [0, 1, 2n ** 32n],
      [0xffffffff, 0x1fffff, 2n ** 53n - 1n],
      [0, 0x200000, 2n ** 53n],
      [0xffffffff, 0xffffffff, 2n ** 64n - 1n],
    ];
    for (const [lo, hi] of cases) tp.emit(1, 2, lo, hi, who);
    expect(fs.peek().map((l) => l.text)).to.deep.equal(cases.map(([, , v]) => `n=1 w=2 val=${v} who=x`));
  });

  it('keeps a num field as the exact number it was given (a double), and a u32 field modulo 2^32', () => {
    const { fs, tp } = fsWith(8);
    for (const [n, w] of [
      [2 ** 53 - 1, 2 ** 32 - 1],
      [-1, 2 ** 32],
      [0.5, -1],
      [2 ** 32, 2 ** 32 + 5],
    ]) {
      tp.emit(n, w);
    }
    expect(fs.peek().map((l) => l.text.split(' ').slice(0, 2).join(' '))).to.deep.equal([
      `n=${2 ** 53 - 1} w=4294967295`,
      'n=-1 w=0',
      'n=0.5 w=4294967295',
      `n=${2 ** 32} w=5`,
    ]);
  });

  it('filters a u32 field by the value the record keeps', () => {
    const { fs, tp } = fsWith(8);
    tp.setFilter('w == 4294967295');
    tp.emit(1, -1);
    tp.emit(2, 7);
    expect(fs.peek().map((l) => l.text.split(' ')[0])).to.deep.equal(['n=1']);
  });

  it('wraps at the power of two above the capacity, keeping each record whole', () => {
    // Capacity 5 is stored in 8 records: 21 records wrap the storage twice and a half.
    const { clock, fs, tp } = fsWith(5);
    for (let i = 0; i < 21; i++) {
      clock.advance(1000);
      tp.emit(i, i, i, i + 1, fs.strings.intern(`s${i}`));
    }
    const got = fs.read().map((l) => `${l.timeNs}:${l.text}`);
    expect(got).to.deep.equal([16, 17, 18, 19, 20].map((i) => `${(i + 1) * 1000}:n=${i} w=${i} val=${(BigInt(i + 1) << 32n) | BigInt(i)} who=s${i}`));
    expect(fs.lost).to.equal(16);
  });

  it('claims several records at once only where all of them fit, in drop mode', () => {
    const ring = new RingBuffer(3, 'drop');
    expect(ring.claim(2)).to.equal(0);
    expect(ring.claim(2)).to.equal(-1);
    expect([ring.written, ring.lost]).to.deep.equal([2, 0]);
    expect(ring.claim(1)).to.equal(2);
    ring.mode = 'overwrite';
    expect(ring.claim(2)).to.equal(3);
    expect([ring.written, ring.length, ring.lost]).to.deep.equal([5, 3, 2]);
  });

  it('lays out doubles at even words and one-word fields in field order, and refuses what does not fit', () => {
    const l = new RecordLayout('t', [
      { name: 'a', kind: 'str' },
      { name: 'b', kind: 'num' },
      { name: 'c', kind: 'u64' },
      { name: 'd', kind: 'u32' },
    ]);
    expect([...l.places.entries()].map(([n, p]) => [n, p.word, p.hiWord])).to.deep.equal([
      ['a', 3, -1],
      ['b', 4, -1],
      ['c', 6, 7],
      ['d', 8, -1],
    ]);
    expect(RECORD_WORDS).to.equal(12);
    const nums = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `n${i}`, kind: 'num' as const }));
    expect(() => new RecordLayout('t', [...nums(4), { name: 's', kind: 'str' }])).to.not.throw();
    expect(() => new RecordLayout('big', [...nums(4), { name: 's', kind: 'str' }, { name: 't', kind: 'str' }])).to.throw(
      KernelError,
      "trace event 'big' needs 10 words of a record; at most 9",
    );
    expect(() => new RecordLayout('many', nums(5))).to.throw(KernelError, 'at most 9');
    const strs = Array.from({ length: 9 }, (_, i) => ({ name: `s${i}`, kind: 'str' as const }));
    expect(() => new RecordLayout('slots', strs)).to.throw(KernelError, "trace event 'slots' needs 9 slots; at most 8");
  });

  it('keeps a CPU number up to 65535 in the header, and a machine has at most 65536 CPUs', () => {
    expect(() => new Cpus({ nodeOfCpu: new Array(65537).fill(0) })).to.throw(KernelError, 'at most 65536 CPUs, got 65537');
    expect(new Cpus({ nodeOfCpu: new Array(65536).fill(0) }).count).to.equal(65536);
  });

  it('traces at most 65536 CPUs (the header keeps a CPU in 16 bits), and records the last one exactly', () => {
    const on = (cpuCount: number, cpu: number) =>
      new TraceFs(
        () => 0,
        () => cpu,
        4,
        'overwrite',
        cpuCount,
      );
    expect(() => on(65537, 0)).to.throw(
      KernelError,
      'EINVAL: tracing: a trace record keeps its CPU in 16 bits, so at most 65536 CPUs can be traced; the machine has 65537',
    );
    for (const bad of [0, 1.5, Number.NaN]) {
      expect(() => on(bad, 0), String(bad)).to.throw(KernelError, `EINVAL: tracing: the CPU count must be a whole number of at least 1, got ${bad}`);
    }
    const fs = on(65536, 65535);
    expect(fs.cpuCount).to.equal(65536);
    const tp = fs.define({ system: 't', name: 'last_cpu', fields: [{ name: 'n', kind: 'num' }], format: (r) => `n=${r.num('n')}` });
    tp.enabled = true;
    tp.emit(7);
    const i = fs.ring.indexAt(0);
    expect([fs.ring.cpuAt(i), fs.ring.idAt(i)]).to.deep.equal([65535, tp.id]);
  });

  it('gives out at most 65536 event ids (the header keeps one in 16 bits)', () => {
    const fs = new TraceFs(
      () => 0,
      () => 0,
      4,
    );
    const def = (name: string) => ({ system: 't', name, fields: [], format: () => '' });
    for (let i = 0; i < 65536; i++) fs.define(def(`e${i}`));
    expect(fs.get('e65535').id).to.equal(65535);
    expect(() => fs.define(def('one_more'))).to.throw(KernelError, 'all 65536 event ids are in use');
  });

  it('refuses to read a u64 or str field as a number, and a number field as a str', () => {
    const { fs } = fsWith(4);
    const fields = [
      { name: 'v', kind: 'u64' as const },
      { name: 's', kind: 'str' as const },
      { name: 'n', kind: 'num' as const },
    ];
    const asNum = fs.define({ system: 'test', name: 'as_num', fields, format: (r) => `${r.num('v')}` });
    asNum.enabled = true;
    asNum.emit(1, 1, fs.strings.intern('x'), 1);
    expect(() => fs.peek()).to.throw(KernelError, "trace event 'as_num': field 'v' is a u64; read it with u64()");
    asNum.enabled = false;
    fs.clear();
    const strAsNum = fs.define({ system: 'test', name: 'str_as_num', fields, format: (r) => `${r.num('s')}` });
    strAsNum.enabled = true;
    strAsNum.emit(0, 0, fs.strings.intern('x'), 1);
    expect(() => fs.peek()).to.throw(KernelError, "trace event 'str_as_num': field 's' is a str; read it with str()");
    strAsNum.enabled = false;
    fs.clear();
    const numAsStr = fs.define({ system: 'test', name: 'num_as_str', fields, format: (r) => r.str('n') });
    numAsStr.enabled = true;
    numAsStr.emit(0, 0, fs.strings.intern('x'), 1);
    expect(() => fs.peek()).to.throw(KernelError, "trace event 'num_as_str': field 'n' is a num, not a str");
  });

  it('refuses to read a field as a u64 that is not one', () => {
    const { fs, tp } = fsWith(4);
    const bad = fs.define({ system: 'test', name: 'bad', fields: [{ name: 'n', kind: 'num' }], format: (r) => `${r.u64('n')}` });
    bad.enabled = true;
    bad.emit(1);
    tp.emit(1);
    expect(() => fs.peek()).to.throw(KernelError, "trace event 'bad': field 'n' is not a u64");
  });
});
