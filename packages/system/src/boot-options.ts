// Machine.boot's options are checked before anything is built: a wrong kind of value is EINVAL naming the option, never a TypeError.
import { describeThrown, describeValue, kerr } from '@cspmu/kernel';

const NAME_LISTS = ['plugins', 'installed', 'moduleRoots'] as const;

/**
 * The options read once into a plain copy (EFAULT if a getter or a Proxy
 * throws, as for an unreadable perf_event_attr), then checked: EINVAL unless
 * they are an object whose name lists are lists of strings and whose APMT is bytes.
 */
export function checkBootOptions<T extends object>(options: T): T {
  if (options === null || typeof options !== 'object') throw kerr('EINVAL', `boot options must be an object, got ${describeValue(options)}`);
  let o: Record<string, unknown>;
  try {
    o = { ...(options as Record<string, unknown>) };
  } catch (e) {
    throw kerr('EFAULT', `boot options cannot be read: ${describeThrown(e)}`);
  }
  for (const key of NAME_LISTS) {
    const list = o[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((n) => typeof n === 'string'))
      throw kerr('EINVAL', `boot option ${key} must be a list of names, got ${describeValue(list)}`);
  }
  if (o['apmt'] !== undefined && !(o['apmt'] instanceof Uint8Array))
    throw kerr('EINVAL', `boot option apmt must be the table's bytes (a Uint8Array), got ${describeValue(o['apmt'])}`);
  return o as T;
}
