// Our side of the kernel-relative figures, one round per process (bench/src/own-side.ts): each round is a new process that reports one whole measurement, and anything else is refused.

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
// Types only: the module itself is loaded from bench/dist at run time, as the bench runs it.
import type * as OwnSideModule from '../bench/src/own-side.js';
import { node, ROOT } from './helpers/cli.js';

type OwnSide = typeof OwnSideModule;
type Figure = OwnSideModule.OwnSideFigure;

const load = async (): Promise<OwnSide> => (await import(pathToFileURL(join(ROOT, 'bench', 'dist', 'own-side.js')).href)) as OwnSide;

describe('bench own side: each round of a kernel-relative figure in a process of its own', function () {
  this.timeout(120000);

  it('measures each round in a new process, with the loops and warm-up asked for', async () => {
    const { ownSideRound } = await load();
    const small = { n: 20, loops: 5, warmLoops: 2 };
    const a = ownSideRound('open_close', small);
    const b = ownSideRound('open_close', small);
    expect(a.id).to.equal('open_close');
    expect(a.ns).to.be.greaterThan(0);
    expect(b.ns).to.be.greaterThan(0);
    expect(new Set([a.pid, b.pid, process.pid]).size, 'three different processes').to.equal(3);
    const rp = ownSideRound('read_path', { n: 50, loops: 5, warmLoops: 2 });
    expect(rp.ns).to.be.greaterThan(0);
    expect(rp.hilohiNs).to.be.greaterThan(0);
  });

  it('measures an mmio_off round, both sides in one new process, as its median of alternating pairs', async () => {
    const { ownSideRound } = await load();
    const r = ownSideRound('mmio_off', { n: 50, loops: 5, warmLoops: 2 });
    expect(r.id).to.equal('mmio_off');
    expect(r.pid).to.not.equal(process.pid);
    expect(r.ns).to.be.greaterThan(0);
    expect(r.rawNs).to.be.greaterThan(0);
    // A timing: only that it is a ratio of two such times, not its value.
    expect(r.ratio).to.be.greaterThan(0).and.lessThan(100);
  });

  it("fails with the child's own reason when a round cannot run", async () => {
    const { ownSideRound } = await load();
    expect(() => ownSideRound('mmio_on', { n: 0, loops: 5, warmLoops: 1 })).to.throw(
      /our side of mmio_on, measured in a process of its own, failed \(exit 2\): usage: .*mmio_on\|read_path\|open_close\|mmio_off N LOOPS WARM-LOOPS/,
    );
  });

  it('the child refuses an unknown figure, bad counts, and a node without --expose-gc', async () => {
    const { OWN_SIDE_MAIN } = await load();
    for (const args of [
      ['reprobe', '1', '1', '1'],
      ['open_close', '10', '5'],
      ['open_close', '10', '5', '1.5'],
      ['read_path', '-1', '5', '1'],
    ]) {
      const r = node(['--expose-gc', OWN_SIDE_MAIN, ...args]);
      expect(r.status, args.join(' ')).to.equal(2);
      expect(r.stderr, args.join(' ')).to.contain('usage: node --expose-gc own-side-main.js mmio_on|read_path|open_close|mmio_off N LOOPS WARM-LOOPS');
    }
    const r = node([OWN_SIDE_MAIN, 'open_close', '10', '5', '1']);
    expect(r.status).to.equal(2);
    expect(r.stderr).to.contain('needs node --expose-gc');
  });

  it("refuses a round's output unless it is one whole, positive measurement of the figure asked for", async () => {
    const { parseOwnSideRound } = await load();
    const ok = parseOwnSideRound('read_path', 'starting\n{"id":"read_path","ns":35.5,"hilohiNs":140,"pid":42}\n');
    expect(ok).to.deep.equal({ id: 'read_path', ns: 35.5, hilohiNs: 140, pid: 42 });
    const off = parseOwnSideRound('mmio_off', '{"id":"mmio_off","ns":0.52,"rawNs":0.41,"ratio":1.25,"pid":7}');
    expect(off).to.deep.equal({ id: 'mmio_off', ns: 0.52, rawNs: 0.41, ratio: 1.25, pid: 7 });
    const refusals: [Figure, string, RegExp][] = [
      ['open_close', '', /printed no result line/],
      ['open_close', 'Segmentation fault\n', /printed no result line/],
      ['open_close', '{"id":"read_path","ns":35,"pid":1}', /reported a round of "read_path"/],
      ['open_close', '{"id":"open_close","ns":0,"pid":1}', /reported 0 ns per operation, not a positive number/],
      ['open_close', '{"id":"open_close","ns":"900","pid":1}', /not a positive number/],
      ['open_close', '{"id":"open_close","ns":null,"pid":1}', /reported null ns/],
      ['read_path', '{"id":"read_path","ns":35,"pid":1}', /no hi-lo-hi read time/],
      ['mmio_on', '{"id":"mmio_on","ns":20}', /did not say which process measured it/],
      ['mmio_off', '{"id":"mmio_off","ns":0.5,"pid":1}', /no raw read time or ratio \(undefined, undefined\)/],
      ['mmio_off', '{"id":"mmio_off","ns":0.5,"rawNs":0.4,"ratio":0,"pid":1}', /no raw read time or ratio \(0.4, 0\)/],
    ];
    for (const [id, out, why] of refusals) expect(() => parseOwnSideRound(id, out), out).to.throw(why);
  });
});
