// Builds the documentation site into a temporary folder (not docs/api, which `npm run docs`
// writes, so the two never race) and checks every link in it: a relative link must name a file
// of the site (and, with a #fragment, an element of that page), an absolute one must go to a
// host the docs really cite. The allow-list is what catches words that only look like web
// addresses (CR0.PG, EFLAGS.AC, windows-semantics.md): anything not on it fails.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** External hosts the guides and the API reference link to; add one here when a doc cites a new site. */
const ALLOWED_HOSTS = new Set([
  'typedoc.org', // the "Generated using TypeDoc" footer
  'www.7-cpu.com', // measured TLB latencies (cycle model)
  'github.com', // Wine's conformance tests and sources, cited for each Windows behaviour
  'learn.microsoft.com', // Windows API documentation and the PE format
  'devblogs.microsoft.com', // The Old New Thing, on ASLR and shared pages
]);

let out = '';
let pages: string[] = [];

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => join(e.parentPath, e.name));
}

const idCache = new Map<string, Set<string>>();
function idsOf(file: string): Set<string> {
  let ids = idCache.get(file);
  if (!ids) {
    ids = new Set([...readFileSync(file, 'utf8').matchAll(/\s(?:id|name)="([^"]*)"/g)].map((m) => m[1]!));
    idCache.set(file, ids);
  }
  return ids;
}

/** Every href and src of a page, with HTML entities in them decoded. */
function linksOf(html: string): string[] {
  return [...html.matchAll(/\s(?:href|src)="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
}

/** The problem with one link found on page `file`, or undefined when it resolves. */
function checkLink(file: string, link: string): string | undefined {
  if (link === '#') return undefined; // typedoc's own menu and "back to top" controls
  if (/^[a-z][a-z0-9+.-]*:/i.test(link)) {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      return 'not a valid URL';
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return `scheme ${url.protocol} is not allowed`;
    if (!ALLOWED_HOSTS.has(url.hostname)) return `host ${url.hostname} is not on the allow-list of cited sites`;
    return undefined;
  }
  const [pathPart, fragment] = link.split('#', 2) as [string, string | undefined];
  const path = decodeURIComponent(pathPart.split('?')[0]!);
  const target = path === '' ? file : resolve(dirname(file), path);
  if (!target.startsWith(out)) return 'points outside the site';
  if (!existsSync(target)) return 'no such file';
  if (target.endsWith('.md')) return 'raw markdown copied as media instead of a page';
  if (fragment !== undefined && fragment !== '' && target.endsWith('.html')) {
    if (!idsOf(target).has(decodeURIComponent(fragment))) return `no element #${fragment} in ${relative(out, target)}`;
  }
  return undefined;
}

// The guides and READMEs are read on the code-hosting site too, where {@link X} is raw text:
// they name API items as code spans, which the site links (typedoc-plugins/code-links.mjs).
describe('the guides read well outside the site', () => {
  it('use no {@link} tags', () => {
    const sources = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
      ...readdirSync(join(root, 'examples'), { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(root, 'examples', e.name, 'README.md'))).map((e) => `examples/${e.name}/README.md`)];
    expect(sources.length).toBeGreaterThan(10);
    expect(sources.filter((f) => readFileSync(join(root, f), 'utf8').includes('{@link'))).toEqual([]);
  });
});

describe('the documentation site', () => {
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'mmukit-site-'));
    execFileSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 180_000,
    });
    pages = htmlFiles(out);
  }, 200_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it('builds the index, the guides and the API pages', () => {
    expect(pages.length).toBeGreaterThan(100);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(pages.some((p) => p.includes(`${join(out, 'documents')}`))).toBe(true);
  });

  it('has every href and src resolve: files exist, anchors exist, external hosts are allow-listed', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const link of linksOf(readFileSync(page, 'utf8'))) {
        const problem = checkLink(page, link);
        if (problem) broken.push(`${relative(out, page)}: ${link} (${problem})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has every navigation entry point at a page', () => {
    const script = readFileSync(join(out, 'assets/navigation.js'), 'utf8');
    const data = /"([A-Za-z0-9+/=]+)"/.exec(script)![1]!;
    type Node = { text: string; path?: string; children?: Node[] };
    const nav = JSON.parse(inflateSync(Buffer.from(data, 'base64')).toString('utf8')) as Node[];
    const missing: string[] = [];
    const visit = (nodes: Node[]): void => {
      for (const n of nodes) {
        if (n.path !== undefined) {
          const problem = checkLink(join(out, 'index.html'), n.path);
          if (problem) missing.push(`${n.text}: ${n.path} (${problem})`);
        }
        if (n.children) visit(n.children);
      }
    };
    visit(nav);
    expect(missing).toEqual([]);
  });

  it('links a guide\'s code spans that name exports to their API pages', () => {
    const concepts = readFileSync(join(out, 'documents/Concepts.html'), 'utf8');
    expect(concepts).toContain('href="../classes/mmukit.Mmu.html" class="tsd-kind-class"><code>Mmu</code></a>');
    const kernel = readFileSync(join(out, 'documents/The_kernel_and_Windows_memory_semantics.html'), 'utf8');
    expect(kernel).toMatch(/href="\.\.\/classes\/mmukit\.Process\.html#virtualalloc"[^>]*><code>process\.virtualAlloc\(/);
  });

  it('shows no unresolved inline tags ({@link ...}) as text', () => {
    const raw = pages.filter((p) => /\{@link[ \s]/.test(readFileSync(p, 'utf8'))).map((p) => relative(out, p));
    expect(raw).toEqual([]);
  });
});
