// The walk of `cspmu stat -e nvidia_scf_pmu_0/cycles/` from the flag to the register write that starts the counter: each layer once, going down.

import { join } from 'node:path';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

/**
 * The layers a call may pass, in the order a call goes down them: the
 * command line, the user-side tools, the machine, the perf core, the
 * driver, the backend whose ops it calls, the bus, and the device model on
 * the far side of the bus. The kernel is the runtime under all of them (its
 * frames are call-site trampolines, function frames and smp.on, through
 * which a layer may call the next), so it is not a step of the walk.
 */
const DOWNWARD = ['cli', 'perf-tool', 'system', 'perf', 'arm-cspmu', 'nvidia', 'mmio', 'hw'];

/** The layer of one stack frame, or undefined for frames that are no layer (node, dependencies, the hook). */
function layerOf(frame: string): string | undefined {
  const m = /\/packages\/([^/]+)\/dist\//.exec(frame);
  return m ? m[1] : undefined;
}

/** The layers a stack passes, outermost first, each run of frames in one layer counted once. */
function walkOf(stack: string): { layers: string[]; kernelFrames: number } {
  const frames = stack.split('\n').slice(1).reverse();
  const layers: string[] = [];
  let kernelFrames = 0;
  for (const f of frames) {
    const layer = layerOf(f);
    if (layer === 'kernel') kernelFrames++;
    if (layer === undefined || layer === 'kernel') continue;
    if (layers.at(-1) !== layer) layers.push(layer);
  }
  return { layers, kernelFrames };
}

/** What is wrong with a walk: a layer entered twice, a call going up, or a layer outside the list. */
function walkProblems(layers: readonly string[]): string[] {
  const problems: string[] = [];
  const walk = layers.join(' -> ');
  if (new Set(layers).size !== layers.length) problems.push(`a layer is entered twice: ${walk}`);
  const ranks = layers.map((l) => DOWNWARD.indexOf(l));
  if (ranks.includes(-1)) problems.push(`unknown layer in ${walk}`);
  if (ranks.some((r, i) => i > 0 && r < ranks[i - 1]!)) problems.push(`a call goes up: ${walk}`);
  return problems;
}

describe('Layers: the walk of a stat from flag to register write', function () {
  this.timeout(60000);

  it('crosses each layer once, going down, from the CLI through perf and the driver to mmio and the device model', () => {
    const hook = join(ROOT, 'test', 'dist', 'helpers', 'walk-hook.js');
    const r = node(
      ['--import', hook, join(ROOT, 'packages', 'cli', 'dist', 'src', 'main.js'), 'stat', '-a', '-e', 'nvidia_scf_pmu_0/cycles/', '--duration', '1ms'],
      {
        env: { CSPMU_WALK_DEVICE: 'scf0' },
      },
    );
    expect(r.status, r.stderr).to.equal(0);
    const line = r.stderr.split('\n').find((l) => l.startsWith('CSPMU-WALK '));
    const stack = JSON.parse(line!.slice('CSPMU-WALK '.length)) as string | null;
    expect(stack, 'no PMCNTENSET write reached the scf0 model').to.be.a('string');
    const { layers, kernelFrames } = walkOf(stack!);
    expect(layers[0]).to.equal('cli');
    expect(layers.slice(-2)).to.deep.equal(['mmio', 'hw']);
    expect(layers).to.include.members(['perf', 'arm-cspmu']);
    expect(walkProblems(layers)).to.deep.equal([]);
    // The perf core calls an untraced PMU callback directly (a traced site goes through the kernel's CallSite.invoke),
    // so no kernel trampoline sits between the layers on the way to the register write.
    expect(kernelFrames).to.equal(0);
  });

  it('the walk check catches a layer entered twice and a call going up', () => {
    // A kernel frame (a traced site's CallSite.invoke) between two layers is the runtime, not a layer: skipped, and counted.
    const fake = [
      'Error: walk',
      ...['mmio', 'arm-cspmu', 'kernel', 'perf', 'arm-cspmu', 'cli'].map((p) => `    at f (file:///r/packages/${p}/dist/src/a.js:1:1)`),
    ].join('\n');
    const { layers, kernelFrames } = walkOf(fake);
    expect(layers).to.deep.equal(['cli', 'arm-cspmu', 'perf', 'arm-cspmu', 'mmio']);
    expect(kernelFrames).to.equal(1);
    expect(walkProblems(layers)).to.deep.equal([
      'a layer is entered twice: cli -> arm-cspmu -> perf -> arm-cspmu -> mmio',
      'a call goes up: cli -> arm-cspmu -> perf -> arm-cspmu -> mmio',
    ]);
    expect(walkProblems(['cli', 'perf', 'arm-cspmu', 'mmio', 'hw'])).to.deep.equal([]);
  });
});
