// Tests perf list's event glob as cspmu list --perf applies it: the wildcards, and a bounded cost whatever the glob.
import { perfListMatcher } from '@cspmu/cli';
import { expect } from 'chai';

describe('cspmu list --perf GLOB', () => {
  it('matches *GLOB* over pmu/event/ or the bare name, case-insensitively, with *, ?, [a-z] and a backslash quote', () => {
    const cases: [string, string, string, boolean][] = [
      ['cycles', 'nvidia_scf_pmu_0', 'bus_cycles', true],
      ['CYCLES', 'nvidia_scf_pmu_0', 'cycles', true],
      ['nvidia_*_0', 'nvidia_scf_pmu_1', 'socket_0_rd_data', true],
      ['nvidia_*_0', 'nvidia_scf_pmu_1', 'socket_1_rd_data', false],
      ['socket_[1-3]_rd?data', 'nvidia_scf_pmu_0', 'socket_1_rd_data', true],
      ['socket_[1-3]_rd?data', 'nvidia_scf_pmu_0', 'socket_2_rd_data', true],
      ['socket_[1-3]_rd?data', 'nvidia_scf_pmu_0', 'socket_0_rd_data', false],
      ['[cg]mem_rd_data', 'nvidia_scf_pmu_0', 'gmem_rd_data', true],
      ['scf_pmu_1/', 'nvidia_scf_pmu_1', 'cycles', true],
      ['rd\\_data', 'nvidia_scf_pmu_0', 'cmem_rd_data', true],
      ['rd\\*data', 'nvidia_scf_pmu_0', 'cmem_rd_data', false],
      ['pmu_0/cycles/x', 'nvidia_scf_pmu_0', 'cycles', false],
    ];
    for (const [glob, pmu, event, want] of cases) expect(perfListMatcher(glob)(pmu, event), `${glob} on ${pmu}/${event}/`).to.equal(want);
  });

  it("reads classes as perf's glob does: [!...] complements, members compare in their own case, a reversed range fails where it is reached", () => {
    const cases: [string, string, string, boolean][] = [
      ['socket_[!1]_rd_data/', 'nvidia_scf_pmu_0', 'socket_0_rd_data', true],
      ['socket_[!1]_rd_data/', 'nvidia_scf_pmu_0', 'socket_1_rd_data', false],
      ['soc[!a-z]et', 'nvidia_scf_pmu_0', 'socket_0_rd_data', false],
      ['[C]MEM_RD_DATA', 'nvidia_scf_pmu_0', 'cmem_rd_data', false],
      ['[!C]MEM_RD_DATA', 'nvidia_scf_pmu_0', 'cmem_rd_data', true],
      ['[]c]mem_rd_data', 'nvidia_scf_pmu_0', 'cmem_rd_data', true],
      ['[!]c]mem_rd_data', 'nvidia_scf_pmu_0', 'cmem_rd_data', false],
      ['[!]c]mem_rd_data', 'nvidia_scf_pmu_0', 'gmem_rd_data', true],
      ['socket_[3-1]_rd_data', 'nvidia_scf_pmu_0', 'socket_3_rd_data', true],
      ['socket_[3-1]_rd_data', 'nvidia_scf_pmu_0', 'socket_2_rd_data', false],
      ['socket_[13-1]_rd_data', 'nvidia_scf_pmu_0', 'socket_1_rd_data', true],
      ['socket_[!3-1]_rd_data', 'nvidia_scf_pmu_0', 'socket_0_rd_data', false],
      ['socket_[0-1-3]_rd_data', 'nvidia_scf_pmu_0', 'socket_2_rd_data', true],
      ['socket_[0-]_rd_data', 'nvidia_scf_pmu_0', 'socket_0_rd_data', true],
      ['socket_[-0]_rd_data', 'nvidia_scf_pmu_0', 'socket_0_rd_data', true],
      ['socket_[0_rd_data', 'nvidia_scf_pmu_0', 'socket_0_rd_data', false],
      ['[!', 'nvidia_scf_pmu_0', 'cycles', false],
    ];
    for (const [glob, pmu, event, want] of cases) expect(perfListMatcher(glob)(pmu, event), `${glob} on ${pmu}/${event}/`).to.equal(want);
  });

  it('a glob built to make a backtracking matcher explode is answered at once', () => {
    // With a regular expression of nested .* this pattern takes exponential time on a name of a's; the matcher backtracks to the last star only.
    const glob = `${'*a'.repeat(5000)}*b`;
    const name = 'a'.repeat(5000);
    const match = perfListMatcher(glob);
    for (let i = 0; i < 3; i++) expect(match(name, name)).to.equal(false);
    expect(perfListMatcher(`${'*a'.repeat(5000)}*`)(name, 'x')).to.equal(true);
  });
});
