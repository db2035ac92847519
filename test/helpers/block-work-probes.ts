// Scenarios whose work is known in advance (n native scans of n elements each), to check that blockWork's count sees inside native builtins.

/** One native call, made n times over an input of n elements (or characters): quadratic work that only the builtin counter can see. */
type NativeScan = (input: { items: number[]; bytes: Uint8Array; text: string }) => unknown;

/** ES2023's searches from the end, which Node 20 has and the ES2022 library types lack. */
interface FromTheEnd {
  findLast(predicate: (value: number) => boolean): number | undefined;
  findLastIndex(predicate: (value: number) => boolean): number;
}

/** The builtins the child counts, each called so that it visits its whole receiver (the callbacks are native too, invisible to block coverage). */
export const NATIVE_SCANS = {
  'Array includes': ({ items }) => items.includes(-1),
  'Array indexOf': ({ items }) => items.indexOf(-1),
  'Array lastIndexOf': ({ items }) => items.lastIndexOf(-1),
  'Array find': ({ items }) => items.find(Number.isNaN),
  'Array findIndex': ({ items }) => items.findIndex(Number.isNaN),
  'Array findLast': ({ items }) => (items as unknown as FromTheEnd).findLast(Number.isNaN),
  'Array findLastIndex': ({ items }) => (items as unknown as FromTheEnd).findLastIndex(Number.isNaN),
  'Array some': ({ items }) => items.some(Number.isNaN),
  'Array every': ({ items }) => items.every(Number.isInteger),
  'Array filter': ({ items }) => items.filter(Number.isNaN),
  'TypedArray includes': ({ bytes }) => bytes.includes(1),
  'TypedArray indexOf': ({ bytes }) => bytes.indexOf(1),
  'TypedArray some': ({ bytes }) => bytes.some(Boolean),
  'String includes': ({ text }) => text.includes('b'),
  'String indexOf': ({ text }) => text.indexOf('b'),
} satisfies Record<string, NativeScan>;

export type NativeScanName = keyof typeof NATIVE_SCANS;

/** One scenario per builtin: n calls, each visiting all n elements. */
export const WORK_PROBES = Object.fromEntries(
  Object.entries(NATIVE_SCANS).map(([name, scan]) => [
    `scan: ${name}`,
    {
      prepare: (n: number) => {
        const input = { items: Array.from({ length: n }, (_, i) => i), bytes: new Uint8Array(n), text: 'a'.repeat(n) };
        return () => {
          for (let i = 0; i < n; i++) (scan as NativeScan)(input);
        };
      },
    },
  ]),
) as Record<`scan: ${NativeScanName}`, { prepare: (n: number) => () => void }>;
