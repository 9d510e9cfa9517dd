/** Memory sizes as a topology writes them (256m, 1g) and as the engine takes them (bytes). */
export const MEMORY_SIZE = /^[1-9]\d*[kmg]$/;

const UNIT_BYTES = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

/** The engine refuses a smaller memory limit. */
export const MIN_MEMORY = "6m";

/** "256m" → 268435456; undefined when it is not a size. */
export function parseMemorySize(text: string): number | undefined {
  if (!MEMORY_SIZE.test(text)) return undefined;
  return Number(text.slice(0, -1)) * UNIT_BYTES[text.at(-1) as keyof typeof UNIT_BYTES];
}
