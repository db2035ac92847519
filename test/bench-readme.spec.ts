// The README's performance table is generated from bench/results.json: it matches the file, never says met where the file does not, and every missed target is explained.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { node, ROOT } from './helpers/cli.js';

interface Spread {
  runs: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}
interface Figure {
  id: string;
  figure: string;
  value: number | null;
  unit: string;
  target: string;
  limit: number;
  better: 'lower' | 'higher';
  met: boolean | null;
  spread: Spread | null;
  measured: string;
}
interface FuzzJobsByRuns {
  figureRuns: number;
  points: { runs: number; pairs: number; oneJobS: number; twoJobsS: number; speedUp: number }[];
}

/** Every figure `npm run bench` must write: the performance targets the project holds itself to. */
const ISSUE_FIGURES = ['mmio_off', 'mmio_on', 'open_close', 'reprobe_1000', 'reprobe_scale', 'lazy_count', 'memory', 'callsite_ops', 'fuzz_jobs'];
const START = '<!-- bench-table:';
const END = '<!-- /bench-table -->';

describe('bench/results.json and the README performance table', () => {
  const results = JSON.parse(readFileSync(join(ROOT, 'bench', 'results.json'), 'utf8')) as { figures: Figure[]; fuzzJobsByRuns?: FuzzJobsByRuns };
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Performance\n'), readme.indexOf('\n## ', readme.indexOf('\n## Performance\n') + 1));
  const block = section.slice(section.indexOf(START), section.indexOf(END));
  const byId = new Map(results.figures.map((f) => [f.id, f]));

  it("holds every target figure, each with its target, its spread and whether it is met, and 'met' agrees with the value", () => {
    for (const id of ISSUE_FIGURES) expect(byId.has(id), id).to.equal(true);
    for (const f of results.figures) {
      expect(f.target, f.id).to.be.a('string').and.not.equal('');
      if (f.value === null) {
        expect(f.met, f.id).to.equal(null);
        continue;
      }
      expect(f.spread, f.id).to.not.equal(null);
      expect(f.spread!.median, f.id).to.equal(f.value);
      expect(
        f.spread!.min <= f.spread!.q1 && f.spread!.q1 <= f.spread!.median && f.spread!.median <= f.spread!.q3 && f.spread!.q3 <= f.spread!.max,
        f.id,
      ).to.equal(true);
      // A ratio is the median of at least 5 alternating runs.
      if (f.unit.startsWith('×')) expect(f.spread!.runs, f.id).to.be.at.least(5);
      const within = (x: number) => (f.better === 'lower' ? x <= f.limit : x >= f.limit);
      const stable = f.id === 'lazy_count' ? within(f.spread!.q3) : true;
      expect(f.met, `${f.id}: ${f.value} against ${f.limit}`).to.equal(within(f.value) && stable);
    }
  });

  it('the README table is exactly what bench/dist/readme.js generates from the file', () => {
    const r = node([join(ROOT, 'bench', 'dist', 'readme.js'), '--check']);
    expect(r.status, r.stderr).to.equal(0);
  });

  it("has one row per figure, and says 'yes' only where the file says met", () => {
    // The figures table: from its header to the first line that is not a row (the reprobe profile's table follows it).
    const lines = block.split('\n');
    const header = lines.findIndex((l) => /^\| id +\|/.test(l));
    const end = lines.findIndex((l, i) => i > header && !l.startsWith('|'));
    const rows = lines.slice(header + 2, end < 0 ? undefined : end);
    const cells = rows.map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim()));
    expect(cells.map((c) => c[0])).to.deep.equal(results.figures.map((f) => f.id));
    for (const c of cells) {
      const f = byId.get(c[0]!)!;
      const met = c.at(-1);
      expect(met, f.id).to.equal(f.met === null ? 'n/a' : f.met ? 'yes' : 'no');
      if (met === 'yes') expect(f.met, f.id).to.equal(true);
    }
  });

  it('names the run count fuzz_jobs is measured at, and beside a figure above 10,000 runs keeps the speed-up at 10,000 and 40,000, which the README shows', () => {
    const f = byId.get('fuzz_jobs')!;
    const runs = Number(/--runs (\d+)/.exec(f.figure)?.[1]);
    expect(runs, f.figure).to.be.greaterThan(0);
    if (runs <= 10_000) return;
    const curve = results.fuzzJobsByRuns;
    expect(curve, 'results.json keeps fuzzJobsByRuns beside a figure above 10,000 runs').to.not.equal(undefined);
    expect(curve!.figureRuns).to.equal(runs);
    expect(curve!.points.map((p) => p.runs)).to.include.members([10_000, 40_000, runs].filter((n) => n <= runs));
    for (const p of curve!.points) {
      if (p.runs === runs) expect(p.speedUp, 'the figure').to.equal(f.value);
      else expect(Math.abs(p.speedUp - p.oneJobS / p.twoJobsS), `${p.runs} runs`).to.be.below(0.01);
      expect(block, `the README shows ${p.runs} runs`).to.match(new RegExp(`\\n\\| ${p.runs.toLocaleString('en-US')} +\\|`));
    }
    expect(f.measured).to.contain('at 10,000');
  });

  it('explains, below the table, every target the file shows missed or unmeasured', () => {
    const after = section.slice(section.indexOf(END));
    for (const f of results.figures) if (f.met !== true) expect(after, `README says why ${f.id} is missed`).to.match(new RegExp(`\\n- \\*\\*${f.id}\\*\\*`));
  });
});
