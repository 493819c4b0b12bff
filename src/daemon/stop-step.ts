/** One step of a shutdown: it runs, and a failure is logged (not thrown) so the next step still runs. */
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';

export function stopStep(log: Logger): (name: string, fn: () => Promise<void> | void) => Promise<void> {
  return async (name, fn) => {
    try {
      await fn();
    } catch (err) {
      log.warn({ err }, `stopping ${name} failed: ${describeError(err)}`);
    }
  };
}
