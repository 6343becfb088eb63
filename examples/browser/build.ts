/**
 * Builds the browser page into examples/browser/dist/ (git-ignored) with esbuild:
 *
 * - `main.js`: the page (the seed demo and the memory-map view), one classic
 *   script with the DLL inlined as bytes, so `dist/index.html` also works
 *   opened straight from disk;
 * - `mmukit.js`: all of `src/` as one ES module, built the same way.
 *
 * Both are built for `platform: 'browser'` and fail on any `node:` import: the
 * proof that the library needs no Node API.
 *
 * Run: npm run demo:browser                (build, print where the page is)
 *      npm run demo:browser -- --serve     (build and serve on http://127.0.0.1:8080/)
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { serveDirectory } from './serve.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Where the page is built. */
export const DIST = fileURLToPath(new URL('./dist/', import.meta.url));

/** Fails the build on any import of a Node built-in, naming the importer. */
const noNodeBuiltins: Plugin = {
  name: 'no-node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({
      errors: [{ text: `${args.importer} imports ${args.path}: the browser build must not use Node APIs` }],
    }));
  },
};

/** What a build produced. */
export interface BrowserBuild {
  /** The output folder. */
  outdir: string;
  /** esbuild's metafile of the page bundle and of the library bundle (inputs and their imports). */
  page: Metafile;
  library: Metafile;
}

/** Builds the page into `outdir` (default {@link DIST}), from scratch. */
export async function buildBrowserDemo(outdir: string = DIST): Promise<BrowserBuild> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const common: BuildOptions = {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    plugins: [noNodeBuiltins],
  };
  const [page, library] = await Promise.all([
    build({ ...common, entryPoints: [`${here}main.ts`], outfile: `${outdir}/main.js`, format: 'iife', loader: { '.dll': 'binary' } }),
    build({ ...common, entryPoints: [`${here}../../src/index.ts`], outfile: `${outdir}/mmukit.js`, format: 'esm' }),
  ]);
  await Promise.all(['index.html', 'style.css'].map((file) => copyFile(`${here}${file}`, `${outdir}/${file}`)));
  return { outdir, page: page.metafile!, library: library.metafile! };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { outdir, page } = await buildBrowserDemo();
  const bytes = Object.values(page.outputs).reduce((n, o) => n + o.bytes, 0);
  console.log(`built ${outdir} (${Object.keys(page.inputs).length} modules, ${(bytes / 1024).toFixed(0)} KiB with source maps)`);
  if (process.argv.includes('--serve')) {
    const server = await serveDirectory(outdir, 8080);
    console.log(`serving at ${server.url} (Ctrl-C to stop)`);
  } else {
    console.log(`open file://${outdir}index.html in a browser, or run: npm run demo:browser -- --serve`);
  }
}
