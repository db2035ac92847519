// Multiplexing in closed form: what the record of rotations must notice before it repeats a cycle (members leaving, counters moving, an event disabled or enabled between rotations, events that left the CPU and came back).

import { expect } from 'chai';
import { type MuxScript, type MuxStep, runMuxScript } from './helpers/mux-script.js';

const G123 = ['event=0x1/', 'event=0x2/', 'event=0x3/'];

/** Three G123 groups, the third disabled at 9 ms (right after a rotation that put the first group on), read at 29 ms. */
const DISABLED_AT_9MS = [
  '0: 18000000 / 29000000 / 18000000',
  '1: 4500000 / 29000000 / 18000000',
  '2: 594000 / 29000000 / 18000000',
  '3: 9000000 / 29000000 / 9000000',
  '4: 2250000 / 29000000 / 9000000',
  '5: 297000 / 29000000 / 9000000',
  '6: 2000000 / 9000000 / 2000000',
  '7: 500000 / 29000000 / 2000000',
  '8: 66000 / 29000000 / 2000000',
];

/** Run in closed form and stepped: the same reads after every step, the closed form really used, and the stepped run's last reads as given. */
async function expectLikeStepping(s: MuxScript, last: readonly string[]) {
  const fast = await runMuxScript(s, false);
  const slow = await runMuxScript(s, true);
  expect(slow.reads.at(-1)).to.deep.equal(last);
  expect(fast.reads).to.deep.equal(slow.reads);
  expect(fast.work, 'the closed form ran').to.be.below(slow.work);
}

describe('Multiplexing in closed form: what the rotation record must notice', function () {
  this.timeout(60000);

  it('a group member with the highest id closed between rotations: the cycle that follows differs, so the old one is not repeated', async () => {
    // Four pairs on three event counters: one pair a slice. With the last pair down to one event, it shares its slice with the first pair.
    // Closed in the first pair's slice, the next rotation looks as before (the closed member sorts last, so only the member count differs).
    await expectLikeStepping(
      {
        groups: [0, 1, 2, 3].map(() => ['event=0x1/', 'event=0x2/']),
        intervalMs: 1,
        steps: [{ to: 11_500_000 }, { op: 'close', event: 7 }, { to: 31_500_000 }],
      },
      [
        '0: 15500000 / 31500000 / 15500000',
        '1: 3875000 / 31500000 / 15500000',
        '2: 7000000 / 31500000 / 7000000',
        '3: 1750000 / 31500000 / 7000000',
        '4: 7000000 / 31500000 / 7000000',
        '5: 1750000 / 31500000 / 7000000',
        '6: 12000000 / 31500000 / 12000000',
      ],
    );
  });

  it('a pinned member closed while no flexible group counts: the next group gets a lower counter, and a later group now fits', async () => {
    // The pinned pair holds counters 0 and 1: the single 0x3 event counts on counter 2 every other slice, and the flexible pair never fits.
    // Closing the pinned member in the empty slice frees counter 1: the single event moves there (nothing else differs), and the pair fits in its turn.
    await expectLikeStepping(
      {
        groups: [['event=0x2/D', 'event=0x1/'], ['event=0x3/'], ['event=0x1/', 'event=0x2/']],
        intervalMs: 1,
        steps: [{ to: 10_500_000 }, { op: 'close', event: 1 }, { to: 30_500_000 }],
      },
      ['0: 7625000 / 30500000 / 30500000', '2: 561000 / 30500000 / 17000000', '3: 9500000 / 30500000 / 9500000', '4: 2375000 / 30500000 / 9500000'],
    );
  });

  it('a waiting group disabled at a rotation: its later turns go to the next group, not to copies of its old slices', async () => {
    // Three groups that each fill the event counters: one a slice. The third, disabled right after the first group's rotation, is skipped from then on.
    await expectLikeStepping(
      { groups: [G123, G123, G123], intervalMs: 1, steps: [{ to: 9_000_000 }, { op: 'disable', event: 6 }, { to: 29_000_000 }] },
      DISABLED_AT_9MS,
    );
  });

  it('a disabled group enabled right after a rotation that skipped it: it counts from then on, in copies too', async () => {
    // The third group is off from the start, so the first group also takes its turns; enabled right after such a rotation, the reschedule puts it on at once.
    await expectLikeStepping(
      {
        groups: [G123, G123, G123],
        intervalMs: 1,
        steps: [{ op: 'disable', event: 6 }, { to: 14_000_000 }, { op: 'enable', event: 6 }, { to: 34_000_000 }],
      },
      [
        '0: 17000000 / 34000000 / 17000000',
        '1: 4250000 / 34000000 / 17000000',
        '2: 561000 / 34000000 / 17000000',
        '3: 10000000 / 34000000 / 10000000',
        '4: 2500000 / 34000000 / 10000000',
        '5: 330000 / 34000000 / 10000000',
        '6: 7000000 / 20000000 / 7000000',
        '7: 1750000 / 34000000 / 7000000',
        '8: 231000 / 34000000 / 7000000',
      ],
    );
  });

  // The PMU's CPU goes down right after a rotation, so its events go to another CPU; there one group changes; then that CPU goes down and they come back,
  // all at that instant. The first rotation back is one interval after the last one recorded, so only the context taking the groups back can say they changed.
  const awayAndBack = (change: readonly MuxStep[]): MuxStep[] => [
    { to: 9_000_000 },
    { cpu: 0, online: false },
    ...change,
    { cpu: 0, online: true },
    { cpu: 1, online: false },
    { cpu: 1, online: true },
    { to: 29_000_000 },
  ];

  it('away and back at one instant, with a group closed and one like it opened meanwhile: the new event counts in copies, not the closed one', async () => {
    // Two groups fill the event counters and a single 0x3 event takes its own slice, last in the order at 9 ms. On the other CPU it is closed and
    // an event like it opened, which joins the order at the same place: every rotation back looks like the one a cycle before except for its id.
    await expectLikeStepping(
      { groups: [G123, G123, ['event=0x3/']], intervalMs: 1, steps: awayAndBack([{ op: 'close', event: 6 }, { open: ['event=0x3/'] }]) },
      [
        '0: 12000000 / 29000000 / 12000000',
        '1: 3000000 / 29000000 / 12000000',
        '2: 396000 / 29000000 / 12000000',
        '3: 9000000 / 29000000 / 9000000',
        '4: 2250000 / 29000000 / 9000000',
        '5: 297000 / 29000000 / 9000000',
        '7: 198000 / 20000000 / 6000000',
      ],
    );
  });

  it('away and back at one instant, with a waiting group disabled meanwhile: its later turns go to the next group, not to copies of its old slices', async () => {
    // As the test of a group disabled at a rotation, with the same reads, but disabled on the other CPU, whose context was not the one recording: the members stay the same.
    await expectLikeStepping({ groups: [G123, G123, G123], intervalMs: 1, steps: awayAndBack([{ op: 'disable', event: 6 }]) }, DISABLED_AT_9MS);
  });
});
