// Hardening: booting and shutting down machines in one unbroken chain of awaits retains nothing per machine.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes in use after a full collection, measured without leaving the current job. */
function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

describe('Hardening: memory across boots', function () {
  this.timeout(120000);

  for (const yieldBetween of [false, true]) {
    it(`60 boot/shutdown cycles ${yieldBetween ? 'with' : 'without'} yielding between them keep under 100 KB per machine`, async () => {
      const warm = await Machine.boot({ platform: 'arm-generic', installed: [] });
      await warm.shutdown();
      const before = heapAfterGc();
      for (let i = 0; i < 60; i++) {
        const m = await Machine.boot({ platform: 'arm-generic', installed: [] });
        await m.shutdown();
        if (yieldBetween) await new Promise<void>((r) => setImmediate(r));
      }
      const perMachine = (heapAfterGc() - before) / 60;
      expect(perMachine).to.be.below(100 * 1024);
    });
  }
});
