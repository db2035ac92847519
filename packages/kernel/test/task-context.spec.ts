// The task context: a sleeping task's frames and held locks follow its promises across awaits, and nothing else.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { runWithFrames, runWithHeld, taskFrames, taskHeld } from '../src/base/task-context.js';

const frames = (name: string) => ({ name });
const tick = () => new Promise<void>((r) => setImmediate(r));

describe('Task context across awaits', () => {
  it('follows an async function through awaits of pending promises, and is gone once its run returns', async () => {
    const a = frames('a');
    let resume!: () => void;
    const gate = new Promise<void>((r) => {
      resume = r;
    });
    const seen: unknown[] = [];
    const task = runWithFrames(a, async () => {
      seen.push(taskFrames());
      await gate;
      seen.push(taskFrames());
      await tick();
      seen.push(taskFrames());
    });
    expect(taskFrames()).to.equal(undefined);
    await tick();
    resume();
    await task;
    expect(seen).to.deep.equal([a, a, a]);
    expect(seen[1]).to.equal(a);
    expect(taskFrames()).to.equal(undefined);
  });

  it('keeps two interleaved tasks apart, each resuming in its own context', async () => {
    const order: string[] = [];
    let openA!: () => void;
    let openB!: () => void;
    const gateA = new Promise<void>((r) => {
      openA = r;
    });
    const gateB = new Promise<void>((r) => {
      openB = r;
    });
    const run = (name: string, gate: Promise<void>) =>
      runWithHeld({ name }, async () => {
        await gate;
        order.push(`${name}:${(taskHeld() as { name: string }).name}`);
        await tick();
        order.push(`${name}:${(taskHeld() as { name: string }).name}`);
      });
    const a = run('a', gateA);
    const b = run('b', gateB);
    openB();
    await tick();
    openA();
    await Promise.all([a, b]);
    expect(order).to.deep.equal(['b:b', 'a:a', 'b:b', 'a:a']);
  });

  it('runs a then() reaction in the context the promise chain was made in, not the one that settles it', async () => {
    let settle!: (v: number) => void;
    const source = new Promise<number>((r) => {
      settle = r;
    });
    const held = { lock: 'x' };
    const reaction = runWithHeld(held, () => source.then(() => taskHeld()));
    runWithHeld({ lock: 'other' }, () => settle(1));
    expect(await reaction).to.equal(held);
  });

  it('keeps the frames when the held chain changes and the held chain when the frames change, and restores both after a throw', () => {
    const f = frames('f');
    const h = { lock: 'h' };
    runWithFrames(f, () => {
      runWithHeld(h, () => {
        expect(taskFrames()).to.equal(f);
        expect(() =>
          runWithFrames(frames('g'), () => {
            expect(taskHeld()).to.equal(h);
            throw new Error('inner');
          }),
        ).to.throw('inner');
        expect(taskFrames()).to.equal(f);
      });
      expect(taskHeld()).to.equal(undefined);
    });
    expect(taskFrames()).to.equal(undefined);
  });

  it('gives a callback queued with setImmediate or queueMicrotask no context, as a fresh kernel task starts', async () => {
    const seen: unknown[] = [];
    await runWithFrames(frames('q'), async () => {
      await new Promise<void>((r) =>
        setImmediate(() => {
          seen.push(taskFrames());
          r();
        }),
      );
      await new Promise<void>((r) =>
        queueMicrotask(() => {
          seen.push(taskFrames());
          r();
        }),
      );
      seen.push(taskFrames());
    });
    expect(seen).to.deep.equal([undefined, undefined, { name: 'q' }]);
  });

  it('restores the outer context after a reaction that throws, so the next reaction is not run in it', async () => {
    const inner = runWithFrames(frames('thrower'), async () => {
      await tick();
      throw new Error('boom');
    });
    await inner.then(
      () => undefined,
      (e: Error) => expect(e.message).to.equal('boom'),
    );
    expect(taskFrames()).to.equal(undefined);
    await Promise.resolve();
    expect(taskFrames()).to.equal(undefined);
  });

  it('installs its promise hooks once, when a context is first set, however many contexts are set after', () => {
    // In a process of its own: this one has installed them already. Each install would add a hook pair run for every promise.
    const moduleUrl = new URL('../src/base/task-context.js', import.meta.url).href;
    const script = `
      import { promiseHooks } from 'node:v8';
      const create = promiseHooks.createHook;
      let installs = 0;
      promiseHooks.createHook = (hooks) => (installs++, create(hooks));
      const { runWithFrames, runWithHeld, taskFrames } = await import(${JSON.stringify(moduleUrl)});
      const before = installs;
      for (let i = 0; i < 5; i++) runWithFrames({ i }, () => runWithHeld(undefined, () => undefined));
      const seen = await runWithFrames({ name: 'last' }, async () => { await new Promise((r) => setTimeout(r, 0)); return taskFrames(); });
      console.log(JSON.stringify({ before, installs, seen }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).to.equal('');
    expect(JSON.parse(r.stdout)).to.deep.equal({ before: 0, installs: 1, seen: { name: 'last' } });
  });
});
