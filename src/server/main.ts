/** Entry point of dist/server.js: `--stdio` for other editors, IPC when the extension starts it. */

import { startServer } from './server';

startServer({ standalone: process.argv.includes('--stdio') || process.argv.includes('--standalone') });
