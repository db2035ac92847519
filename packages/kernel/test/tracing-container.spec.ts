// Tests of tracepoints and the trace ring (formatting, overwrite and drop modes), and that machine containers share nothing.
import { expect } from 'chai';
import { type Clock, createKernel, createKernelContainer, type Kernel, KernelError, ManualClock, RingBuffer, TOKENS, TraceFs } from '../src/index.js';

function makeFs(capacity: number, mode: 'overwrite' | 'drop' = 'overwrite') {
  const clock = new ManualClock();
  const fs = new TraceFs(
    () => clock.now(),
    () => 0,
    capacity,
    mode,
  );
  const tp = fs.define({
    system: 'test',
    name: 'sample',
    fields: [
      { name: 'n', kind: 'num' },
      { name: 'val', kind: 'u64' },
      { name: 'who', kind: 'str' },
    ],
    format: (r) => `n=${r.num('n')} val=0x${r.u64('val').toString(16)} who=${r.str('who')}`,
  });
  return { clock, fs, tp };
}

describe('Tracepoints and the ring buffer', () => {
  it('records nothing while disabled', () => {
    const { fs, tp } = makeFs(4);
    tp.emit(1);
    expect(fs.ring.written).to.equal(0);
    expect(tp.hits).to.equal(0);
  });

  it('formats only when read, with exact 64-bit values', () => {
    const { clock, fs, tp } = makeFs(4);
    tp.enabled = true;
    clock.advance(1_500_000);
    tp.emit(7, 0xdeadbeef, 0xffffffff, fs.strings.intern('probe'));
    const lines = fs.read();
    expect(lines).to.deep.equal([{ event: 'sample', timeNs: 1_500_000, cpu: 0, text: 'n=7 val=0xffffffffdeadbeef who=probe' }]);
    expect(fs.ring.length).to.equal(0);
  });

  it('overwrite mode keeps the newest records and counts exactly what was lost', () => {
    const { fs, tp } = makeFs(3, 'overwrite');
    tp.enabled = true;
    for (let i = 0; i < 10; i++) tp.emit(i);
    expect(fs.lost).to.equal(7);
    expect(fs.peek().map((l) => l.text.split(' ')[0])).to.deep.equal(['n=7', 'n=8', 'n=9']);
  });

  it('drop mode keeps the oldest records and counts the dropped ones', () => {
    const { fs, tp } = makeFs(3, 'drop');
    tp.enabled = true;
    for (let i = 0; i < 10; i++) tp.emit(i);
    expect(fs.lost).to.equal(7);
    expect(fs.peek().map((l) => l.text.split(' ')[0])).to.deep.equal(['n=0', 'n=1', 'n=2']);
  });

  it('filters at record time on numbers, 64-bit values and strings', () => {
    const { fs, tp } = makeFs(16);
    tp.enabled = true;
    const a = fs.strings.intern('arm_cspmu_read');
    const b = fs.strings.intern('arm_cspmu_start');
    const c = fs.strings.intern('other');
    tp.setFilter('n >= 2 && who ~ "arm_cspmu_*"');
    tp.emit(1, 0, 0, a);
    tp.emit(2, 0, 0, b);
    tp.emit(3, 0, 0, c);
    tp.emit(4, 5, 1, a);
    expect(fs.peek().map((l) => l.text)).to.deep.equal(['n=2 val=0x0 who=arm_cspmu_start', 'n=4 val=0x100000005 who=arm_cspmu_read']);
    fs.clear();
    tp.setFilter('val == 0x100000005 || (n == 9)');
    tp.emit(9);
    tp.emit(4, 5, 1, a);
    tp.emit(4, 5, 2, a);
    expect(fs.peek().length).to.equal(2);
    tp.clearFilter();
  });

  it('reports a bad filter with the column and field', () => {
    const { tp } = makeFs(4);
    expect(() => tp.setFilter('nope == 1')).to.throw(KernelError, "unknown field 'nope' at column 1");
    expect(() => tp.setFilter('n == ')).to.throw(KernelError, "expected a value after 'n =='");
    expect(() => tp.setFilter('who < "x"')).to.throw(KernelError, "operator '<' does not apply to string field 'who'");
  });

  it('prints ftrace-style lines and enables by glob', () => {
    const { clock, fs, tp } = makeFs(4);
    expect(fs.enable('test:*')).to.equal(1);
    clock.advance(2_000_123_000);
    tp.emit(1, 0, 0, fs.strings.intern('x'));
    expect(fs.text()).to.equal('           cspmu-0       [000] .....     2.000123: sample: n=1 val=0x0 who=x');
    expect(() => fs.enable('nosuch')).to.throw(KernelError, "no trace event matches 'nosuch'");
  });

  it('counts lost records exactly across consuming reads, a mode switch and clear', () => {
    const { fs, tp } = makeFs(5, 'overwrite');
    tp.enabled = true;
    const ns = (lines: { text: string }[]) => lines.map((l) => l.text.split(' ')[0]);
    for (let i = 0; i < 4; i++) tp.emit(i);
    expect(ns(fs.read().slice(0, 2))).to.deep.equal(['n=0', 'n=1']);
    // read() consumed all four; eight more overwrite three of them unread.
    for (let i = 4; i < 12; i++) tp.emit(i);
    expect(fs.lost).to.equal(3);
    expect(fs.ring.length).to.equal(5);
    expect(ns(fs.peek())).to.deep.equal(['n=7', 'n=8', 'n=9', 'n=10', 'n=11']);
    fs.ring.discard(2);
    expect(ns(fs.peek())).to.deep.equal(['n=9', 'n=10', 'n=11']);
    fs.ring.mode = 'drop';
    for (let i = 12; i < 16; i++) tp.emit(i);
    expect(fs.lost).to.equal(5);
    expect(ns(fs.peek())).to.deep.equal(['n=9', 'n=10', 'n=11', 'n=12', 'n=13']);
    fs.ring.mode = 'overwrite';
    tp.emit(16);
    expect(fs.lost).to.equal(6);
    expect(ns(fs.peek())).to.deep.equal(['n=10', 'n=11', 'n=12', 'n=13', 'n=16']);
    expect(fs.ring.written).to.equal(15);
    fs.clear();
    expect([fs.lost, fs.ring.length]).to.deep.equal([0, 0]);
    tp.emit(17);
    expect(ns(fs.peek())).to.deep.equal(['n=17']);
  });

  it('keeps each record its CPU and time', () => {
    const clock = new ManualClock();
    let cpu = 0;
    const fs = new TraceFs(
      () => clock.now(),
      () => cpu,
      3,
      'overwrite',
      65536,
    );
    const tp = fs.define({ system: 'test', name: 'where', fields: [{ name: 'n', kind: 'num' }], format: (r) => `n=${r.num('n')}` });
    tp.enabled = true;
    for (const [c, t] of [
      [5, 10],
      [65535, 20],
      [0, 30],
    ] as const) {
      cpu = c;
      clock.advance(t);
      tp.emit(c);
    }
    expect(fs.read().map((l) => [l.cpu, l.timeNs, l.text])).to.deep.equal([
      [5, 10, 'n=5'],
      [65535, 30, 'n=65535'],
      [0, 60, 'n=0'],
    ]);
  });

  it('refuses a ring buffer of impossible size', () => {
    expect(() => new RingBuffer(0)).to.throw(KernelError, 'capacity');
  });
});

describe('Machine containers', () => {
  it('give each machine its own services', () => {
    const one = createKernel({ topology: { nodeOfCpu: [0, 1] } });
    const two = createKernel();
    expect(one.kernel).to.not.equal(two.kernel);
    expect(one.kernel.clock).to.not.equal(two.kernel.clock);
    expect(one.kernel.trace).to.not.equal(two.kernel.trace);
    expect(one.kernel.cpus.count).to.equal(2);
    expect(two.kernel.cpus.count).to.equal(4);
    // Each machine's tracing is told its CPU count, which it checks against what a record can hold.
    expect([one.kernel.trace.cpuCount, two.kernel.trace.cpuCount]).to.deep.equal([2, 4]);
    one.kernel.log.info('t', 'only in one');
    expect(two.kernel.log.all()).to.have.length(0);
    one.kernel.irqs.registerLine(10, 'level');
    expect(two.kernel.irqs.has(10)).to.equal(false);
    // Singletons inside one container.
    expect(one.container.get(Symbol.for('cspmu.Kernel'))).to.equal(one.kernel);
    // One set of services per container: each token gives the one inversify injected into the Kernel.
    const k = one.kernel;
    const bound = [TOKENS.Clock, TOKENS.Log, TOKENS.Lockdep, TOKENS.Cpus, TOKENS.Smp, TOKENS.Irqs, TOKENS.TraceFs, TOKENS.Lifecycle, TOKENS.Sysfs];
    expect(bound.map((t) => one.container.get(t))).to.have.ordered.members([k.clock, k.log, k.lockdep, k.cpus, k.smp, k.irqs, k.trace, k.lifecycle, k.sysfs]);
    // And whichever is asked for first.
    const c = createKernelContainer();
    const clock = c.get<Clock>(TOKENS.Clock);
    expect(c.get<Kernel>(TOKENS.Kernel).clock).to.equal(clock);
  });

  it('fires lifecycle events to listeners, recorders and the trace', () => {
    const { kernel } = createKernel();
    const seen: unknown[] = [];
    kernel.lifecycle.on('module:loaded', (p) => seen.push(p));
    const rec = kernel.lifecycle.record();
    kernel.trace.enable('cspmu:lifecycle');
    kernel.lifecycle.fire('module:loaded', { module: 'nvidia_cspmu', version: '1.0.0' });
    rec.stop();
    kernel.lifecycle.fire('module:unloaded', { module: 'nvidia_cspmu' });
    expect(seen).to.deep.equal([{ module: 'nvidia_cspmu', version: '1.0.0' }]);
    expect(rec.records.map((r) => r.name)).to.deep.equal(['module:loaded']);
    expect(kernel.trace.peek().map((l) => l.text)).to.deep.equal([
      'module:loaded {"module":"nvidia_cspmu","version":"1.0.0"}',
      'module:unloaded {"module":"nvidia_cspmu"}',
    ]);
  });

  it('logs and fires refcount misuse', () => {
    const { kernel } = createKernel();
    const r = kernel.refcount('pmu', 1);
    r.dec();
    expect(kernel.log.atLeast('warn').map((l) => l.message)).to.deep.equal(["WARNING: refcount_t 'pmu': decrement hit 0; leaking memory"]);
  });
});

describe('defining a trace event twice', () => {
  const def = (system: string, fields: { name: string; kind: 'num' | 'u32' | 'u64' | 'str' }[]) => ({
    system,
    name: 'twice',
    fields,
    format: () => '',
  });

  it('gives back the same tracepoint for the same record, and refuses (EEXIST) another system or other fields', () => {
    const fs = new TraceFs(
      () => 0,
      () => 0,
    );
    const first = fs.define(def('a', [{ name: 'n', kind: 'u32' }]));
    expect(fs.define(def('a', [{ name: 'n', kind: 'u32' }]))).to.equal(first);
    expect(() => fs.define(def('b', [{ name: 'n', kind: 'u32' }]))).to.throw(KernelError, "EEXIST: trace event 'twice' is already defined by system 'a'");
    expect(() => fs.define(def('a', [{ name: 'n', kind: 'u64' }]))).to.throw(
      KernelError,
      "EEXIST: trace event 'a:twice' is already defined with fields (n:u32); define it again only with the same fields, got (n:u64)",
    );
    expect(() =>
      fs.define(
        def('a', [
          { name: 'n', kind: 'u32' },
          { name: 'm', kind: 'u32' },
        ]),
      ),
    ).to.throw(KernelError, 'got (n:u32, m:u32)');
    expect(fs.list()).to.have.length(1);
  });
});
