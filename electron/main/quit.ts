/**
 * Quitting cleanly: the first 'before-quit' is held back until the core is
 * disposed (outbox flushed to disk, socket closed), bounded by a timeout so
 * a stuck core can never keep the app alive; then quit proceeds.
 */
import type { ShellLog } from '../host/log';
import type { Clock } from './clock';

export class QuitController {
  private state: 'running' | 'disposing' | 'done' = 'running';

  constructor(
    private readonly dispose: () => Promise<void>,
    private readonly quit: () => void,
    private readonly clock: Clock,
    private readonly log?: ShellLog,
    private readonly timeoutMs = 5_000,
  ) {}

  /** The app's 'before-quit' handler. */
  onBeforeQuit(event: { preventDefault(): void }): void {
    if (this.state === 'done') return;
    event.preventDefault();
    if (this.state === 'disposing') return;
    this.state = 'disposing';
    void this.disposeBounded().then(() => {
      this.state = 'done';
      this.quit();
    });
  }

  /**
   * Disposes now and lets the next 'before-quit' through untouched: for
   * autoUpdater.quitAndInstall, whose own quit must not be held back.
   */
  async prepareExternalQuit(): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'disposing';
    await this.disposeBounded();
    this.state = 'done';
  }

  /** Disposes the core, bounded by the timeout (never throws). */
  async disposeBounded(): Promise<void> {
    let timer: unknown = null;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const result = await Promise.race([
      this.dispose().then(
        () => 'ok' as const,
        (error: unknown) => {
          this.log?.error({ err: String(error) }, 'core dispose failed');
          return 'failed' as const;
        },
      ),
      timeout,
    ]);
    this.clock.clearTimeout(timer);
    if (result === 'timeout') this.log?.warn({ timeoutMs: this.timeoutMs }, 'core dispose timed out; quitting anyway');
  }

  get done(): boolean {
    return this.state === 'done';
  }
}
