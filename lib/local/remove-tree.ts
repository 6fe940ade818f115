/**
 * Removes a local component's folder for good. A recursive removal lists a folder, then deletes what it listed; a
 * file written in between (a service still flushing as it exits, a log line) makes the final rmdir fail with
 * ENOTEMPTY, and `force` does not cover that: the folder stayed behind in one CI run of `npm run dev`'s Ctrl-C test.
 * Node retries ENOTEMPTY, EBUSY and EPERM with a linear back-off when asked to.
 */
import { rmSync } from "node:fs";

export function removeTree(path: string): void {
  rmSync(path, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}
