// Counts the elements that native search builtins (indexOf, includes, find, some, ...) visit, which V8's block coverage cannot see, for blockWork's child only.

type Method = (this: unknown, ...args: unknown[]) => unknown;

let visited = 0;

/** Elements (characters, for strings) the wrapped builtins visited since the last call. */
export function takeVisited(): number {
  const v = visited;
  visited = 0;
  return v;
}

/** ToIntegerOrInfinity as the builtins apply it to a length or a start index. */
function integerOf(value: unknown): number {
  const n = Math.trunc(Number(value));
  return Number.isNaN(n) ? 0 : n;
}

/** Where a forward search starting at `from` begins in a sequence of `length` elements. */
function forwardStart(from: unknown, length: number): number {
  const n = integerOf(from);
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

function lengthOf(receiver: unknown): number {
  if (typeof receiver === 'string') return receiver.length;
  return Math.max(integerOf((receiver as { length?: unknown } | null | undefined)?.length), 0);
}

/** Replace `proto[name]` by `wrap(original)`, keeping the property's attributes and the function's name and length. */
function replace(proto: object, name: string, wrap: (original: Method) => Method): void {
  const descriptor = Object.getOwnPropertyDescriptor(proto, name);
  if (typeof descriptor?.value !== 'function') return;
  const original = descriptor.value as Method;
  const wrapper = wrap(original);
  Object.defineProperty(wrapper, 'name', { value: original.name });
  Object.defineProperty(wrapper, 'length', { value: original.length });
  Object.defineProperty(proto, name, { ...descriptor, value: wrapper });
}

/** indexOf: the elements up to the match, or to the end. */
function countIndexOf(original: Method, step: (receiver: unknown, args: unknown[]) => number): Method {
  return function (this: unknown, ...args: unknown[]) {
    const result = Reflect.apply(original, this, args) as number;
    const length = lengthOf(this);
    const start = forwardStart(args[1], length);
    visited += result === -1 ? length - start : result - start + step(this, args);
    return result;
  };
}

/** includes: as indexOf, the position found by the original indexOf (which misses only NaN: then the whole rest). */
function countIncludes(original: Method, indexOf: Method, step: (receiver: unknown, args: unknown[]) => number): Method {
  return function (this: unknown, ...args: unknown[]) {
    const result = Reflect.apply(original, this, args) as boolean;
    const length = lengthOf(this);
    const start = forwardStart(args[1], length);
    const at = result ? (Reflect.apply(indexOf, this, args) as number) : -1;
    visited += at === -1 ? length - start : at - start + step(this, args);
    return result;
  };
}

/** lastIndexOf (arrays): the elements from the start position back to the match, or to the beginning. */
function countLastIndexOf(original: Method): Method {
  return function (this: unknown, ...args: unknown[]) {
    const result = Reflect.apply(original, this, args) as number;
    const length = lengthOf(this);
    const n = args.length > 1 ? integerOf(args[1]) : length - 1;
    const start = n < 0 ? length + n : Math.min(n, length - 1);
    visited += Math.max(result === -1 ? start + 1 : start - result + 1, 0);
    return result;
  };
}

/** find, some, filter, ...: one per element the builtin hands to the callback. */
function countCallbacks(original: Method): Method {
  return function (this: unknown, ...args: unknown[]) {
    const callback = args[0];
    if (typeof callback === 'function') {
      args[0] = function (this: unknown, ...inner: unknown[]) {
        visited++;
        return Reflect.apply(callback, this, inner);
      };
    }
    return Reflect.apply(original, this, args);
  };
}

const oneElement = () => 1;
const searchLength = (_receiver: unknown, args: unknown[]) => Math.max(String(args[0]).length, 1);

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
for (const proto of [Array.prototype, typedArrayPrototype]) {
  const indexOf = (proto as { indexOf: Method }).indexOf;
  replace(proto, 'includes', (original) => countIncludes(original, indexOf, oneElement));
  replace(proto, 'indexOf', (original) => countIndexOf(original, oneElement));
  replace(proto, 'lastIndexOf', countLastIndexOf);
  for (const name of ['find', 'findIndex', 'findLast', 'findLastIndex', 'some', 'every', 'filter']) replace(proto, name, countCallbacks);
}
const stringIndexOf = String.prototype.indexOf as Method;
replace(String.prototype, 'includes', (original) => countIncludes(original, stringIndexOf, searchLength));
replace(String.prototype, 'indexOf', (original) => countIndexOf(original, searchLength));
