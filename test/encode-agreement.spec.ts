// Tests that cspmu encode prints the same perf_event_attr fields as perf stat -vv for the same event strings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attrBlock, encodedList, uncorePmus } from '@cspmu/cli';
import { Machine } from '@cspmu/system';
import { expect } from 'chai';
import { cspmu } from './helpers/cli.js';
import { perfUnavailable, realPerf } from './helpers/perf-output.js';

/**
 * The attr blocks of a perf stat -vv run: first attempts only (perf retries
 * an open after "decreasing precise_ip" or "switching off" a feature), each
 * distinct block once (perf prints one per CPU).
 */
function perfBlocks(out: string): string[] {
  const blocks: string[] = [];
  let retry = false;
  let current: string[] | undefined;
  for (const line of out.split('\n')) {
    if (line === 'perf_event_attr:') current = [];
    else if (current && line.startsWith('-----')) {
      if (!retry) blocks.push(current.join('\n'));
      current = undefined;
      retry = false;
    } else if (current) current.push(line);
    else if (/decreasing precise_ip|switching off|falling back/i.test(line)) retry = true;
  }
  return [...new Set(blocks)];
}

const EVENTS = [
  'task-clock',
  'cpu-clock',
  'task-clock:u',
  'task-clock:k',
  'cpu-clock:h',
  'task-clock:uk',
  'cpu-clock:G',
  'cpu-clock:H',
  'task-clock:I',
  'task-clock:D',
  'task-clock:e',
  'task-clock:ppp',
  'cycles',
  'instructions:u',
  'r1a5',
  'context-switches',
  'nvidia_scf_pmu_0/cycles/',
  'nvidia_scf_pmu_0/cmem_rd_data/',
  'nvidia_pcie_pmu_0/rd_bytes_loc,root_port=0x3/',
  'nvidia_pcie_pmu_1/event=0x1a5,root_port=1023/',
  'nvidia_cnvlink_pmu_0/rd_bytes_rem,rem_socket=0x2/',
  'nvidia_scf_pmu_0/event=1,event=2/',
  'nvidia_scf_pmu_0/cycles,event=1/',
  'nvidia_scf_pmu_0/config=0xffffffffffffffff/',
  'nvidia_scf_pmu_0/config1=0x5,config2=0x7,event=3/',
  'nvidia_scf_pmu_0/cycles/u',
  'nvidia_scf_pmu_0/cycles/k',
  'nvidia_scf_pmu_0/cycles/ukhpPGHSDIWeb',
  'nvidia_scf_pmu_0/cycles/D',
  'nvidia_scf_pmu/cycles/',
  'cmem_rd_data',
  '{task-clock,cpu-clock}',
  '{cpu-clock,task-clock}:u',
  '{task-clock,cpu-clock}:k',
  '{task-clock:G,cpu-clock}:u',
  '{task-clock,cycles}',
  '{task-clock,cpu-clock,cycles}',
  'task-clock,{cpu-clock,task-clock:u}',
  // perf 6.1 breaks up a group whose PMUs count on different CPUs: no ID|GROUP then. (Groups it keeps cannot be compared
  // here: the host refuses their leaders and perf stops before the members; perf-groups.spec compares them under exec.)
  '{nvidia_scf_pmu_0/cycles/,nvidia_scf_pmu_1/cycles/}',
];

describe('encode agrees with perf stat -vv on every attr field', function () {
  this.timeout(300000);
  const why = perfUnavailable();
  let tree = '';
  let m: Machine;
  before(async function () {
    if (why) {
      console.log(`      skipped: ${why}`);
      this.skip();
    }
    tree = mkdtempSync(join(tmpdir(), 'cspmu-encode-'));
    expect(cspmu(['sysfs', 'export', tree]).status).to.equal(0);
    m = await Machine.boot({ platform: 'grace' });
  });
  after(async () => m?.shutdown());

  for (const mode of ['per task', '-a'] as const) {
    it(`${EVENTS.length} event strings (groups included), ${mode}`, () => {
      const flag = mode === '-a' ? ['-a'] : [];
      let compared = 0;
      for (const ev of EVENTS) {
        const theirs = perfBlocks(realPerf(['stat', '-vv', ...flag, '-e', ev, 'true'], tree).stderr);
        const { list } = encodedList(m, ev, mode === '-a' ? 'system' : 'task');
        const ours = perfBlocks(list.map((p) => attrBlock(p, list, mode === '-a' ? 'system' : 'task', uncorePmus(m.perf))).join('\n'));
        expect(theirs, `perf printed no attr for ${ev}`).to.not.be.empty;
        expect(ours.sort(), `${ev} (${mode})`).to.deep.equal(theirs.sort());
        compared++;
      }
      expect(compared).to.equal(EVENTS.length);
    });
  }
});
