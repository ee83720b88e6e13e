/**
 * Electron IPC wiring: every method of the contract on `tern:<method>` via
 * ipcMain.handle, with a sender-frame check and runtime validation (in the
 * dispatcher); events to the window via webContents.send(`tern:event:<name>`).
 */
import { callChannel, eventChannel, methodNames, type EventName, type MessengerEvents } from '../../shared/ipc';
import type { Dispatch } from '../host/dispatch';
import type { ShellLog } from '../host/log';
import type { IpcEventLike } from './security';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export function registerIpc(ipcMain: IpcMainLike, dispatch: Dispatch, isTrusted: (event: IpcEventLike) => boolean, log?: ShellLog): () => void {
  for (const method of methodNames) {
    ipcMain.handle(callChannel(method), async (event, args) => {
      if (!isTrusted(event)) {
        log?.warn({ method, frame: event.senderFrame?.url?.slice(0, 200) }, 'refused IPC call from an untrusted frame');
        return { ok: false, error: { code: 'INVALID_ARGUMENT', message: 'untrusted sender' } };
      }
      return dispatch(method, args);
    });
  }
  return () => {
    for (const method of methodNames) ipcMain.removeHandler(callChannel(method));
  };
}

export interface WebContentsLike {
  isDestroyed(): boolean;
  send(channel: string, payload: unknown): void;
}

/** Sends an event to the window if it exists (events while it is closed are dropped: the UI refreshes on load). */
export function createEventSender(getContents: () => WebContentsLike | null) {
  return <E extends EventName>(event: E, payload: MessengerEvents[E]): void => {
    const wc = getContents();
    if (wc && !wc.isDestroyed()) wc.send(eventChannel(event), payload);
  };
}
