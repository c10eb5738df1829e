/** Ranks model ids by how close they are to a requested id, to suggest what the user meant. */

/**
 * Returns up to `limit` ids closest to `requested`: ids that share its start come first, then by
 * edit distance, case-insensitively. Ollama's `:latest` tag and a `models/` prefix are ignored.
 */
export function closestModelIds(requested: string, ids: readonly string[], limit = 3): string[] {
  const target = normalize(requested);
  const ranked = ids.map((id) => ({ id, score: score(target, normalize(id)) }));
  ranked.sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return ranked.slice(0, limit).map((entry) => entry.id);
}

/** True when a listed id names the requested model, allowing Ollama's implicit `:latest` tag and a `models/` prefix. */
export function isSameModel(requested: string, id: string): boolean {
  return normalize(requested) === normalize(id);
}

function normalize(id: string): string {
  return id.toLowerCase().replace(/^models\//, '').replace(/:latest$/, '');
}

/** Lower is closer. A shared prefix of at least four characters outranks any edit distance. */
function score(target: string, candidate: string): number {
  const distance = editDistance(target, candidate);
  const prefix = commonPrefixLength(target, candidate);
  return prefix >= Math.min(4, target.length) ? distance - 1000 : distance;
}

function commonPrefixLength(a: string, b: string): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

/** Levenshtein distance with one row of memory. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_value, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
