// Starts the SQLite worker thread (sqlite-worker.ts). Node 20 does not apply the parent's --import loaders
// to worker threads, so when the server runs from its TypeScript sources this registers tsx's require hook
// first; a compiled build requires the .js entry directly.
const { workerData } = require('node:worker_threads');
if (workerData.entry.endsWith('.ts')) require('tsx/cjs/api').register();
require(workerData.entry);
