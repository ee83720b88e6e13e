// The core's thread entry when running from the TypeScript sources (npm start, tests):
// registers tsx's loader in this thread, then runs the real entry. The packaged app
// runs the bundled entry (out/main/core-worker.js) instead.
import { register } from 'tsx/esm/api';

register();
await import('../core/thread/worker.ts');
