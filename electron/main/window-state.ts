/**
 * Window size, position and maximised state, remembered across launches.
 * Saved bounds are only reused if they are still mostly on a connected
 * display (monitors change); otherwise the size is kept and the window centred.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const defaultWindowSize = { width: 1100, height: 720 };
export const minWindowSize = { width: 720, height: 480 };

function isRect(v: unknown): v is Rect {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return ['x', 'y', 'width', 'height'].every((k) => typeof r[k] === 'number' && Number.isFinite(r[k]));
}

export function parseWindowState(json: string | null): WindowState | null {
  if (!json) return null;
  try {
    const v = JSON.parse(json) as { bounds?: unknown; maximized?: unknown };
    if (!isRect(v.bounds)) return null;
    return { bounds: v.bounds, maximized: v.maximized === true };
  } catch {
    return null;
  }
}

function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * The options to open the window with: saved bounds if at least half of the
 * window is on some display's work area, else the saved (clamped) size centred
 * (no x/y: Electron centres it).
 */
export function initialBounds(saved: WindowState | null, workAreas: readonly Rect[]): { bounds: Partial<Rect> & { width: number; height: number }; maximized: boolean } {
  if (!saved) return { bounds: { ...defaultWindowSize }, maximized: false };
  const largest = workAreas.reduce<Rect | null>((best, a) => (!best || a.width * a.height > best.width * best.height ? a : best), null);
  const width = Math.max(minWindowSize.width, Math.min(saved.bounds.width, largest?.width ?? saved.bounds.width));
  const height = Math.max(minWindowSize.height, Math.min(saved.bounds.height, largest?.height ?? saved.bounds.height));
  const candidate = { ...saved.bounds, width, height };
  const visible = workAreas.some((a) => overlapArea(candidate, a) >= (width * height) / 2);
  return { bounds: visible ? candidate : { width, height }, maximized: saved.maximized };
}

export interface TrackedWindow {
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  isMinimized(): boolean;
  isFullScreen(): boolean;
}

/**
 * Saves the state of a window after it moves or resizes (debounced) and on
 * close. `write` stores the JSON (a file under userData in production).
 */
export class WindowStateKeeper {
  private timer: unknown = null;

  constructor(
    private readonly win: TrackedWindow,
    private readonly write: (json: string) => void,
    private readonly clock: { setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void },
    private readonly debounceMs = 500,
  ) {}

  /** Call on 'resize', 'move', 'maximize', 'unmaximize'. */
  changed(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.saveNow();
    }, this.debounceMs);
  }

  saveNow(): void {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    // Minimised/full-screen bounds are not what the user wants back: keep the normal ones.
    const state: WindowState = { bounds: this.win.getNormalBounds(), maximized: this.win.isMaximized() };
    this.write(JSON.stringify(state));
  }

  dispose(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
