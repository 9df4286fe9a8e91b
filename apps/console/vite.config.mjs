// The operator console: a React single-page app served by the gateway at /console (decision 0024).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  plugins: [react()],
  resolve: { alias: { '@fg/api-client': here('../../libs/api-client/src/index.ts') } },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    sourcemap: false,
  },
  server: {
    // `npm run console:dev` next to a running gateway (npm start): the API is proxied.
    proxy: { '/ops': 'http://localhost:3000', '/s': 'http://localhost:3000' },
  },
});
