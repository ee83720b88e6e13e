import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ConnectionStatus } from '../../shared/ipc';
import { useApi } from '../api';

export const useConnectionStore = defineStore('connection', () => {
  const status = ref<ConnectionStatus>({ state: 'connecting' });
  /** Ticks once a second while a retry is scheduled, for the countdown. */
  const now = ref(Date.now());
  let ticker: ReturnType<typeof setInterval> | null = null;

  const online = computed(() => status.value.state === 'online');
  const secondsToRetry = computed(() => {
    const at = status.value.nextRetryAt;
    return at ? Math.max(0, Math.ceil((at - now.value) / 1000)) : null;
  });

  function setStatus(s: ConnectionStatus): void {
    status.value = s;
    now.value = Date.now();
    if (s.nextRetryAt && s.state === 'offline') {
      ticker ??= setInterval(() => (now.value = Date.now()), 1000);
    } else if (ticker) {
      clearInterval(ticker);
      ticker = null;
    }
  }

  async function refresh(): Promise<void> {
    setStatus(await useApi().getConnectionStatus({}));
  }

  async function reconnect(): Promise<void> {
    await useApi().reconnect({});
  }

  function bind(): () => void {
    const off = useApi().onConnectionState(setStatus);
    return () => {
      off();
      if (ticker) clearInterval(ticker);
      ticker = null;
    };
  }

  return { status, online, secondsToRetry, refresh, reconnect, bind, setStatus };
});
