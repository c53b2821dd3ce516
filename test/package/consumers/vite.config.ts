import { defineConfig } from 'vite';

// Module workers, so the worker can share chunks with the page; built files under static/, since
// the page fetches the model and image from /assets/.
export default defineConfig({ worker: { format: 'es' }, build: { assetsDir: 'static' } });
