import { defineConfig } from 'vite';

// The page lives in src/web; its build goes to dist/web, beside the module that tells the gateway where it is.
export default defineConfig({
  root: 'src/web',
  build: { outDir: '../../dist/web', emptyOutDir: true, target: 'es2022', sourcemap: true },
});
