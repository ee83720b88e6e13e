import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { AccountSummary, Profile, ServerEndpoint, Session } from '../../shared/ipc';
import { useApi } from '../api';
import { errorCode } from '../i18n/errors';

export type SessionPhase = 'starting' | 'signed-out' | 'signed-in';
export type Notice = 'kicked' | 'signedOut' | 'cacheRecovered' | 'cacheKeyLost' | 'passwordRequired';

export const useSessionStore = defineStore('session', () => {
  const session = ref<Session | null>(null);
  const phase = ref<SessionPhase>('starting');
  const accounts = ref<AccountSummary[]>([]);
  const busy = ref(false);
  /** The last error code of login/register, translated by the view. */
  const errorCodeRef = ref<string | null>(null);
  const notice = ref<Notice | null>(null);
  /** For `signedOut`: the device that signed this one out. */
  const noticeDevice = ref('');
  /** Set when the core asks for the password of a stored account. */
  const passwordFor = ref<string | null>(null);

  const me = computed<Profile | null>(() => session.value?.profile ?? null);
  const myId = computed(() => session.value?.account.userId ?? 0);

  function setSession(s: Session | null): void {
    session.value = s;
    phase.value = s ? 'signed-in' : 'signed-out';
  }

  /**
   * Startup: resume the core's live session, or sign in again with the stored
   * device token of the most recently used account (unless the user signed out
   * of it on purpose), or show the first-run screen.
   */
  async function init(): Promise<void> {
    const api = useApi();
    try {
      const [s, list] = await Promise.all([api.getSession({}), api.listAccounts({}).catch(() => [])]);
      accounts.value = list;
      if (s) return setSession(s);
      const last = list.slice().sort((a, b) => b.lastLoginAt - a.lastLoginAt)[0];
      if (last?.canAutoLogin && signedOutOf() !== last.username && (await login({ username: last.username }))) return;
      setSession(null);
    } catch {
      setSession(null);
    }
  }

  const SIGNED_OUT_KEY = 'tern.signedOut';
  function signedOutOf(): string | null {
    try { return globalThis.localStorage?.getItem(SIGNED_OUT_KEY) ?? null; } catch { return null; }
  }
  function rememberSignedOut(username: string | null): void {
    try {
      if (username) globalThis.localStorage?.setItem(SIGNED_OUT_KEY, username);
      else globalThis.localStorage?.removeItem(SIGNED_OUT_KEY);
    } catch { /* storage unavailable: auto sign-in simply stays on */ }
  }

  async function run(op: () => Promise<Session>): Promise<boolean> {
    busy.value = true;
    errorCodeRef.value = null;
    // Cleared before, not after: a notice raised while signing in (the cache was rebuilt) must stay.
    notice.value = null;
    try {
      const s = await op();
      passwordFor.value = null;
      rememberSignedOut(null);
      setSession(s);
      return true;
    } catch (err) {
      errorCodeRef.value = errorCode(err);
      return false;
    } finally {
      busy.value = false;
    }
  }

  function login(args: { username: string; password?: string; server?: ServerEndpoint; kickOtherSessions?: boolean }) {
    return run(() => useApi().login(args));
  }

  function register(args: { username: string; password: string; nickname?: string; server?: ServerEndpoint }) {
    return run(() => useApi().register(args));
  }

  async function logout(forget = false): Promise<void> {
    rememberSignedOut(session.value?.account.username ?? null);
    await useApi().logout({ forget });
    setSession(null);
    accounts.value = await useApi().listAccounts({}).catch(() => accounts.value);
  }

  async function updateProfile(patch: { nickname?: string; avatar?: string; signature?: string }): Promise<Profile> {
    const profile = await useApi().updateProfile(patch);
    if (session.value) session.value = { ...session.value, profile, account: { ...session.value.account, nickname: profile.nickname, avatar: profile.avatar } };
    return profile;
  }

  function clearError(): void {
    errorCodeRef.value = null;
  }

  function bind(): () => void {
    const api = useApi();
    const offs = [
      api.onSessionEnded(() => {
        setSession(null);
        void api.listAccounts({}).then((l) => (accounts.value = l)).catch(() => undefined);
      }),
      // Signed out from another device (Settings > Devices): its token is gone, the password is needed.
      api.onKicked(({ reason, deviceName }) => {
        notice.value = reason === 'token-revoked' ? 'signedOut' : 'kicked';
        noticeDevice.value = deviceName ?? '';
      }),
      api.onPasswordRequired(({ username }) => {
        passwordFor.value = username;
        notice.value = 'passwordRequired';
      }),
      // A lost key (the keychain changed) is not damage: the user is told what happened, not that the disk is bad.
      api.onCacheRecovered(({ error }) => (notice.value = error.code === 'CACHE_KEY_LOST' ? 'cacheKeyLost' : 'cacheRecovered')),
    ];
    return () => offs.forEach((off) => off());
  }

  return {
    session, phase, accounts, busy, errorCode: errorCodeRef, notice, noticeDevice, passwordFor, me, myId,
    init, login, register, logout, updateProfile, clearError, bind, setSession,
  };
});
