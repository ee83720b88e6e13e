import { describe, expect, it } from 'vitest';
import { defineComponent, h } from 'vue';
import { useFormat } from '../../renderer/composables/useFormat';
import { mountWith, setupEnv } from './setup';

/** Runs `useFormat().presence` inside a component (it needs i18n). */
function presenceIn(locale: 'en' | 'zh-CN', p: { online: boolean; lastSeen: number; presenceHidden?: boolean }, now: number): string {
  const env = setupEnv({}, locale);
  let text = '';
  mountWith(env, defineComponent({ setup: () => () => h('span', (text = useFormat().presence(p, now))) }));
  return text;
}

describe('presence text', () => {
  const now = new Date(2026, 11, 2, 15, 0).getTime();
  it('says online, last seen today (time only), on an earlier day (day and time), or offline when unknown', () => {
    expect(presenceIn('en', { online: true, lastSeen: 0 }, now)).toBe('Online');
    expect(presenceIn('en', { online: false, lastSeen: new Date(2026, 11, 2, 9, 5).getTime() }, now)).toMatch(/^Last seen 0?9:05/);
    expect(presenceIn('en', { online: false, lastSeen: new Date(2026, 11, 1, 21, 30).getTime() }, now)).toMatch(/^Last seen Yesterday /);
    expect(presenceIn('en', { online: false, lastSeen: 0 }, now)).toBe('Offline');
    expect(presenceIn('zh-CN', { online: false, lastSeen: new Date(2026, 11, 1, 21, 30).getTime() }, now)).toMatch(/^最后在线 昨天 /);
  });

  it('says "last seen recently" when a last-seen setting hides it', () => {
    expect(presenceIn('en', { online: false, lastSeen: 0, presenceHidden: true }, now)).toBe('Last seen recently');
    expect(presenceIn('zh-CN', { online: false, lastSeen: 0, presenceHidden: true }, now)).toBe('最近在线');
  });
});
