/** An in-app confirmation dialog (no window.confirm: it blocks and cannot be styled or translated). */
import { reactive } from 'vue';

interface ConfirmState {
  open: boolean;
  message: string;
  danger: boolean;
  resolve: ((ok: boolean) => void) | null;
}

export const confirmState = reactive<ConfirmState>({ open: false, message: '', danger: false, resolve: null });

export function askConfirm(message: string, danger = true): Promise<boolean> {
  confirmState.resolve?.(false);
  return new Promise((resolve) => Object.assign(confirmState, { open: true, message, danger, resolve }));
}

export function answerConfirm(ok: boolean): void {
  const r = confirmState.resolve;
  Object.assign(confirmState, { open: false, resolve: null });
  r?.(ok);
}
