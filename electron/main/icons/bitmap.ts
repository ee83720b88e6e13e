/**
 * A tiny RGBA rasteriser for the app and tray icons: anti-aliased shapes by
 * 4x4 supersampling, source-over blending. Enough to draw the icon from its
 * geometry (geometry.ts) at any size, at build time and at run time, with no
 * image library.
 */
export type Rgba = readonly [number, number, number, number];

export class Bitmap {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 4);
  }

  /** Paints `color` where `inside(x, y)` holds (x, y in pixels, continuous), within the bounding box. */
  fill(inside: (x: number, y: number) => boolean, color: Rgba, box?: { x0: number; y0: number; x1: number; y1: number }): void {
    const n = 4;
    const x0 = Math.max(0, Math.floor(box?.x0 ?? 0));
    const y0 = Math.max(0, Math.floor(box?.y0 ?? 0));
    const x1 = Math.min(this.width, Math.ceil(box?.x1 ?? this.width));
    const y1 = Math.min(this.height, Math.ceil(box?.y1 ?? this.height));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        // Corners and centre agree => the pixel is (almost surely) fully in or out; else supersample.
        const probe = [inside(px, py), inside(px + 1, py), inside(px, py + 1), inside(px + 1, py + 1), inside(px + 0.5, py + 0.5)];
        if (probe.every((v) => v === probe[0])) {
          if (probe[0]) this.blend(px, py, color, 1);
          continue;
        }
        let hits = 0;
        for (let sy = 0; sy < n; sy++) {
          for (let sx = 0; sx < n; sx++) {
            if (inside(px + (sx + 0.5) / n, py + (sy + 0.5) / n)) hits++;
          }
        }
        if (hits > 0) this.blend(px, py, color, hits / (n * n));
      }
    }
  }

  blend(px: number, py: number, [r, g, b, a]: Rgba, coverage: number): void {
    const i = (py * this.width + px) * 4;
    const sa = (a / 255) * coverage;
    const da = this.data[i + 3]! / 255;
    const oa = sa + da * (1 - sa);
    if (oa <= 0) return;
    const mix = (s: number, d: number) => Math.round((s * sa + d * da * (1 - sa)) / oa);
    this.data[i] = mix(r, this.data[i]!);
    this.data[i + 1] = mix(g, this.data[i + 1]!);
    this.data[i + 2] = mix(b, this.data[i + 2]!);
    this.data[i + 3] = Math.round(oa * 255);
  }

  pixel(px: number, py: number): Rgba {
    const i = (py * this.width + px) * 4;
    return [this.data[i]!, this.data[i + 1]!, this.data[i + 2]!, this.data[i + 3]!];
  }
}

export function circle(cx: number, cy: number, r: number) {
  return (x: number, y: number) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

export function roundedRect(x: number, y: number, w: number, h: number, radius: number) {
  return (px: number, py: number) => {
    if (px < x || py < y || px > x + w || py > y + h) return false;
    const dx = Math.max(x + radius - px, 0, px - (x + w - radius));
    const dy = Math.max(y + radius - py, 0, py - (y + h - radius));
    return dx * dx + dy * dy <= radius * radius;
  };
}

/** Even-odd point-in-polygon. */
export function polygon(points: ReadonlyArray<readonly [number, number]>) {
  return (x: number, y: number) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i]!;
      const [xj, yj] = points[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  };
}
