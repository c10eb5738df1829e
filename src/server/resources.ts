/** Reads the language server's open handles and memory for the `switchboard/resources` request. */

import { readdirSync, readlinkSync } from 'node:fs';

import type { ResourcesResult } from '../protocol/protocol';

export function readResources(collectGarbage: boolean): ResourcesResult {
  const gc = (globalThis as { gc?: () => void }).gc;
  const collectedGarbage = collectGarbage && gc !== undefined;
  if (collectedGarbage) gc();

  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  return { resources, socketDescriptors: countSocketDescriptors(), memory: process.memoryUsage(), collectedGarbage };
}

/**
 * Counts the sockets the process has open from /proc/self/fd, or returns undefined where that
 * folder does not exist (on systems other than Linux). Unlike getActiveResourcesInfo, this
 * includes unreferenced sockets, such as the idle connections that undici keeps in its pool.
 */
function countSocketDescriptors(): number | undefined {
  let descriptors: string[];
  try {
    descriptors = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  let sockets = 0;
  for (const descriptor of descriptors) {
    try {
      if (readlinkSync(`/proc/self/fd/${descriptor}`).startsWith('socket:')) sockets += 1;
    } catch {
      // The descriptor was closed between the listing and the read (readdir's own is one of them).
    }
  }
  return sockets;
}
