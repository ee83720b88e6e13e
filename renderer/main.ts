/** Renderer entry: the transport (Electron preload or web shell), Pinia, i18n, then the app. */
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { setMessengerApi } from './api';
import { createAppI18n } from './i18n';
import { getMessengerApi } from './transport';
import './styles/base.css';
// The colour emoji font, bundled: without it most emoji are boxes on machines that lack one (assets/fonts/noto-color-emoji/README.md).
import './assets/fonts/noto-color-emoji/noto-color-emoji.css';

setMessengerApi(getMessengerApi());
createApp(App).use(createPinia()).use(createAppI18n()).mount('#app');
