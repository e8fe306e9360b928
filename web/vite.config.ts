// Vite builds the browser client from web/ into web/dist (served by the C++ server);
// vitest runs the unit tests in web/test with the same configuration.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  // Absolute asset URLs: the same index.html is served at / and at /room/ID.
  base: '/',
  // Caches go to the root node_modules, next to the one npm project.
  cacheDir: '../node_modules/.vite',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: {
    // `npm run dev:web` proxies the API and the WebSocket to a local server.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
