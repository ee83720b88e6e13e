/** Shared mounting helpers: a fresh Pinia, i18n and fake API per test. */
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { mount, type ComponentMountingOptions } from '@vue/test-utils';
import type { Component } from 'vue';
import { setMessengerApi } from '../../renderer/api';
import { createAppI18n, type Locale } from '../../renderer/i18n';
import { createFakeApi, type FakeApi, type Overrides } from './fake-api';

export interface TestEnv {
  fake: FakeApi;
  pinia: Pinia;
  i18n: ReturnType<typeof createAppI18n>;
}

export function setupEnv(overrides: Overrides = {}, locale: Locale = 'en'): TestEnv {
  const fake = createFakeApi(overrides);
  setMessengerApi(fake.api);
  const pinia = createPinia();
  setActivePinia(pinia);
  return { fake, pinia, i18n: createAppI18n(locale) };
}

export function mountWith<C extends Component>(env: TestEnv, component: C, options: ComponentMountingOptions<C> = {} as ComponentMountingOptions<C>) {
  return mount(component, { ...options, global: { plugins: [env.pinia, env.i18n], ...(options.global ?? {}) } } as ComponentMountingOptions<C>);
}

export const flush = () => new Promise<void>((r) => setTimeout(r, 0));
