/**
 * Showing, hiding and closing the main window: close-to-tray, start hidden,
 * "is the user looking at us" (for notifications), and getting attention.
 */
export interface ControlledWindow {
  isDestroyed(): boolean;
  isVisible(): boolean;
  isMinimized(): boolean;
  isFocused(): boolean;
  show(): void;
  hide(): void;
  restore(): void;
  focus(): void;
  flashFrame(flag: boolean): void;
}

export interface CloseEvent {
  preventDefault(): void;
}

export class WindowController {
  /** Set when the app is really quitting: close must then close. */
  private quitting = false;

  constructor(
    private readonly getWindow: () => ControlledWindow | null,
    private readonly settings: () => { closeToTray: boolean },
    private readonly platform: NodeJS.Platform,
    /** macOS: bounce the dock icon. */
    private readonly bounceDock: (() => void) | null = null,
  ) {}

  markQuitting(): void {
    this.quitting = true;
  }

  /** The window's 'close' handler: hide instead when close-to-tray is on (and on macOS, as usual there). */
  onClose(event: CloseEvent): 'hide' | 'close' {
    if (this.quitting) return 'close';
    if (this.settings().closeToTray || this.platform === 'darwin') {
      event.preventDefault();
      this.getWindow()?.hide();
      return 'hide';
    }
    return 'close';
  }

  /** Should the window be shown at start? Hidden when `--hidden` was passed or the setting says so. */
  static startHidden(argv: readonly string[], setting: boolean): boolean {
    return argv.includes('--hidden') || setting;
  }

  isInFront(): boolean {
    const w = this.getWindow();
    if (!w || w.isDestroyed()) return false;
    return w.isVisible() && !w.isMinimized() && w.isFocused();
  }

  bringToFront(): void {
    const w = this.getWindow();
    if (!w || w.isDestroyed()) return;
    if (w.isMinimized()) w.restore();
    if (!w.isVisible()) w.show();
    w.focus();
    w.flashFrame(false);
  }

  toggle(): void {
    const w = this.getWindow();
    if (!w || w.isDestroyed()) return;
    if (this.isInFront()) w.hide();
    else this.bringToFront();
  }

  /** Flash the taskbar (Windows/Linux) or bounce the dock (macOS) unless the user is looking. */
  requestAttention(): void {
    const w = this.getWindow();
    if (!w || w.isDestroyed() || this.isInFront()) return;
    if (this.platform === 'darwin') this.bounceDock?.();
    else w.flashFrame(true);
  }

  /** Call on the window's 'focus': stop flashing. */
  onFocus(): void {
    const w = this.getWindow();
    if (w && !w.isDestroyed()) w.flashFrame(false);
  }
}
