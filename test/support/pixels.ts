import type { PNG } from "pngjs";

export interface InkStats {
  /** Pixels darker than the pages' near-white backgrounds, as a share of all. */
  nonWhiteShare: number;
  /** Distinct colours among ~20,000 sampled pixels, at 4 bits a channel. */
  distinctColours: number;
}

/** What a blank or broken page lacks: ink and variety. */
export function inkStats(png: PNG): InkStats {
  const { width, height, data } = png;
  let nonWhite = 0;
  const sampled = new Set<number>();
  const sampleStep = Math.max(1, Math.floor((width * height) / 20_000));
  for (let pixel = 0; pixel < width * height; pixel++) {
    const r = data[pixel * 4]!;
    const g = data[pixel * 4 + 1]!;
    const b = data[pixel * 4 + 2]!;
    // A page background (#f8fafc) counts as white: only content and tinted boxes are ink.
    if (Math.min(r, g, b) < 246) nonWhite++;
    // 4 bits a channel, so anti-aliasing does not pass for variety.
    if (pixel % sampleStep === 0) sampled.add(((r >> 4) << 8) | ((g >> 4) << 4) | (b >> 4));
  }
  return { nonWhiteShare: nonWhite / (width * height), distinctColours: sampled.size };
}

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** How many pixels (of the whole picture, or of a region of it) match `test`: a mark's colour, to see that it was painted. */
export function countPixels(
  png: PNG,
  test: (r: number, g: number, b: number) => boolean,
  region: Region = { x: 0, y: 0, width: png.width, height: png.height },
): number {
  let count = 0;
  const [left, top] = [Math.max(0, Math.floor(region.x)), Math.max(0, Math.floor(region.y))];
  const right = Math.min(png.width, Math.ceil(region.x + region.width));
  const bottom = Math.min(png.height, Math.ceil(region.y + region.height));
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const pixel = (y * png.width + x) * 4;
      if (test(png.data[pixel]!, png.data[pixel + 1]!, png.data[pixel + 2]!)) count++;
    }
  }
  return count;
}

/** Within `tolerance` of a #rrggbb colour on every channel. */
export function near(hex: string, tolerance = 12): (r: number, g: number, b: number) => boolean {
  const [R, G, B] = [1, 3, 5].map((at) => parseInt(hex.slice(at, at + 2), 16)) as [number, number, number];
  return (r, g, b) => Math.abs(r - R) <= tolerance && Math.abs(g - G) <= tolerance && Math.abs(b - B) <= tolerance;
}
