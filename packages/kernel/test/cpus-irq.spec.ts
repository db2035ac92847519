// Tests of cpulists, CPU hotplug callbacks, and the interrupt controller's level/edge delivery and spurious accounting.
import { expect } from 'chai';
import {
  Cpus,
  createKernel,
  formatCpuList,
  IRQ_HANDLED,
  IRQ_NONE,
  IrqController,
  KernelError,
  KernelLog,
  MAX_CPUS,
  parseCpuList,
  SPURIOUS_LIMIT,
} from '../src/index.js';

describe('Cpus and hotplug states', () => {
  it('formats and parses cpulists', () => {
    expect(formatCpuList([3, 0, 1, 2, 8, 10, 11])).to.equal('0-3,8,10-11');
    expect(formatCpuList([])).to.equal('');
    expect(parseCpuList('0-3,8,10-11')).to.deep.equal([0, 1, 2, 3, 8, 10, 11]);
    expect(() => parseCpuList('3-1')).to.throw(KernelError, 'end is below the start');
    expect(() => parseCpuList('a')).to.throw(KernelError, "bad cpu list element 'a'");
  });

  it('a machine has at most MAX_CPUS (65536) CPUs, and at least one', () => {
    expect(MAX_CPUS).to.equal(65536);
    const refused = (n: number) => () => new Cpus({ nodeOfCpu: new Array(n).fill(0) });
    expect(refused(MAX_CPUS + 1)).to.throw(KernelError, 'EINVAL: a machine has at most 65536 CPUs, got 65537');
    expect(refused(0)).to.throw(KernelError, 'EINVAL: a machine needs at least one CPU');
    const most = new Cpus({ nodeOfCpu: new Array(MAX_CPUS).fill(0) });
    expect([most.count, most.isOnline(MAX_CPUS - 1), most.isPossible(MAX_CPUS)]).to.deep.equal([65536, true, false]);
  });

  it("runs code as if on one of the machine's CPUs only (EINVAL otherwise), so trace records name a CPU the machine has", () => {
    const { kernel } = createKernel({ topology: { nodeOfCpu: [0, 0, 1] } });
    const smp = kernel.smp;
    expect(smp.count).to.equal(3);
    const ran: number[] = [];
    expect(
      smp.on(2, () => {
        ran.push(smp.current);
        return 'done';
      }),
    ).to.equal('done');
    for (const bad of [3, -1, 1.5, Number.NaN, '1' as unknown as number]) {
      expect(() => smp.on(bad, () => ran.push(bad)), String(bad)).to.throw(
        KernelError,
        `EINVAL: smp: cannot run on cpu ${typeof bad === 'string' ? "'1'" : bad}: the machine's CPUs are 0-2`,
      );
    }
    expect([ran, smp.current]).to.deep.equal([[2], 0]);
  });

  it('runs online callbacks on add and teardown/online callbacks on hotplug', () => {
    const cpus = new Cpus({ nodeOfCpu: [0, 0, 1, 1] });
    const calls: string[] = [];
    const st = cpus.setupStateMulti<string>(
      'perf/test:online',
      (cpu, i) => void calls.push(`on ${i} ${cpu}`),
      (cpu, i) => void calls.push(`down ${i} ${cpu}`),
    );
    cpus.stateAddInstance(st, 'pmu0');
    expect(calls).to.deep.equal(['on pmu0 0', 'on pmu0 1', 'on pmu0 2', 'on pmu0 3']);
    calls.length = 0;
    cpus.cpuDown(2);
    expect(calls).to.deep.equal(['down pmu0 2']);
    expect(cpus.online()).to.deep.equal([0, 1, 3]);
    cpus.cpuUp(2);
    expect(calls).to.deep.equal(['down pmu0 2', 'on pmu0 2']);
    expect(cpus.nodeOf(3)).to.equal(1);
    expect(() => cpus.cpuUp(2)).to.throw(KernelError, 'already online');
    expect(() => cpus.nodeOf(9)).to.throw(KernelError, 'not a possible CPU');
    expect(() => cpus.removeStateMulti(st)).to.throw(KernelError, 'EBUSY');
    cpus.stateRemoveInstance(st, 'pmu0');
    cpus.removeStateMulti(st);
  });

  it('refuses to offline the last online CPU', () => {
    const cpus = new Cpus({ nodeOfCpu: [0, 0] });
    cpus.cpuDown(0);
    expect(() => cpus.cpuDown(1)).to.throw(KernelError, 'last online CPU');
  });
});

describe('IrqController', () => {
  const make = () => new IrqController(new KernelLog(() => 0));

  it('redelivers a level interrupt until the device lowers the line', () => {
    const irqs = make();
    const irq = irqs.registerLine(40, 'level');
    let calls = 0;
    irqs.request(
      irq,
      () => {
        calls++;
        if (calls === 3) irqs.lower(irq);
        return IRQ_HANDLED;
      },
      'dev',
    );
    irqs.raise(irq);
    expect(calls).to.equal(3);
    expect(irqs.isAsserted(irq)).to.equal(false);
    expect(irqs.stats(irq)).to.deep.include({ delivered: 3, handled: 3, unhandled: 0 });
  });

  it('delivers an asserted level line when a handler is requested later, and counts it while unhandled', () => {
    const irqs = make();
    const irq = irqs.registerLine(41, 'level');
    irqs.raise(irq);
    irqs.raise(irq);
    expect(irqs.stats(irq).unhandled).to.equal(2);
    let calls = 0;
    irqs.request(
      irq,
      () => {
        calls++;
        irqs.lower(irq);
        return IRQ_HANDLED;
      },
      'late',
    );
    expect(calls).to.equal(1);
  });

  it('delivers an edge interrupt once per rising edge and never re-enters the handler', () => {
    const irqs = make();
    const irq = irqs.registerLine(42, 'edge');
    let depth = 0;
    let maxDepth = 0;
    let calls = 0;
    irqs.request(
      irq,
      () => {
        depth++;
        maxDepth = Math.max(maxDepth, depth);
        calls++;
        if (calls === 1) {
          irqs.lower(irq);
          irqs.raise(irq); // a new edge while handling: delivered after return
        }
        depth--;
        return IRQ_HANDLED;
      },
      'edge-dev',
    );
    irqs.raise(irq);
    irqs.raise(irq); // still high: no new edge
    expect(calls).to.equal(2);
    expect(maxDepth).to.equal(1);
  });

  it('disables a stuck level line nobody handles', () => {
    const log = new KernelLog(() => 0);
    const irqs = new IrqController(log);
    const irq = irqs.registerLine(43, 'level');
    irqs.request(irq, () => IRQ_NONE, 'deaf');
    irqs.raise(irq);
    expect(irqs.stats(irq).spurious).to.equal(SPURIOUS_LIMIT);
    expect(irqs.isDisabled(irq)).to.equal(true);
    expect(log.atLeast('err')[0]!.message).to.contain('nobody cared');
  });

  it('refuses sharing, unknown lines and double free', () => {
    const irqs = make();
    const irq = irqs.registerLine(44, 'level');
    irqs.request(irq, () => IRQ_HANDLED, 'first');
    expect(() => irqs.request(irq, () => IRQ_HANDLED, 'second')).to.throw(KernelError, "already requested by 'first'");
    expect(() => irqs.request(99, () => IRQ_HANDLED, 'x')).to.throw(KernelError, 'irq 99 does not exist');
    irqs.free(irq);
    expect(() => irqs.free(irq)).to.throw(KernelError, 'not requested');
    expect(() => irqs.registerLine(44, 'edge')).to.throw(KernelError, 'level-triggered');
  });
});
