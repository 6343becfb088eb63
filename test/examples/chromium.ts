/**
 * A headless Chromium for the browser tests, from the npm registry alone.
 *
 * `@sparticuz/chromium` (a dev dependency, so `npm ci` brings it) ships a headless Chromium
 * inside its package as Brotli archives. Nothing is installed by hand and nothing is
 * downloaded: the archives are unpacked once per package version into
 * `node_modules/.cache/mmukit-chromium/<version>/`, through a temporary folder renamed into
 * place, so an interrupted unpack is never mistaken for a complete one, and a Chromium that
 * another project left in the system temp folder (the package's default) is never picked up.
 *
 * `MMUKIT_CHROMIUM=/path/to/chrome` runs another Chromium instead (for example a system one,
 * to reproduce a report); nothing requires it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import packagedChromium from '@sparticuz/chromium';
import { chromium, type Browser } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Flags of the package's list that loosen the web's security model. The package adds them for
 * serverless scraping; a test of a page should see the browser as users do, so they are dropped.
 */
const LOOSENED_SECURITY = ['--disable-web-security', '--allow-running-insecure-content', '--disable-site-isolation-trials'];

function packagedVersion(): string {
  const require = createRequire(import.meta.url);
  const manifest = join(dirname(require.resolve('@sparticuz/chromium')), '../../package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/** Unpacks the packaged Chromium (once per version) and returns the binary's path. */
async function unpackedChromium(): Promise<string> {
  const folder = join(root, 'node_modules/.cache/mmukit-chromium', packagedVersion());
  const binary = join(folder, 'chromium');
  if (existsSync(binary)) return binary;
  // The package unpacks into os.tmpdir(), which follows TMPDIR: point it at a private folder.
  const partial = `${folder}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const savedTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = partial;
  try {
    const unpacked = await packagedChromium.executablePath();
    if (unpacked !== join(partial, 'chromium')) throw new Error(`@sparticuz/chromium unpacked to ${unpacked}, not into ${partial}`);
  } finally {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
  }
  try {
    renameSync(partial, folder);
  } catch (error) {
    // Another test process finished first: use its copy.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

/** Launches a headless Chromium: `MMUKIT_CHROMIUM` when set, else the one `npm ci` installed. */
export async function launchChromium(): Promise<Browser> {
  const override = process.env.MMUKIT_CHROMIUM;
  if (override !== undefined && override !== '') {
    if (!existsSync(override)) throw new Error(`MMUKIT_CHROMIUM=${override} does not exist; unset it to use the Chromium that npm ci installs`);
    return chromium.launch({ executablePath: override, args: ['--no-sandbox'] });
  }
  const executablePath = await unpackedChromium();
  const args = packagedChromium.args.filter((flag) => !LOOSENED_SECURITY.includes(flag));
  return chromium.launch({ executablePath, args });
}
