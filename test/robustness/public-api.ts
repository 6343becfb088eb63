/**
 * The public API of mmukit, read from the sources with the TypeScript parser (syntax only, no
 * type checker, so it takes a fraction of a second): every function and class that
 * `src/index.ts` exports at runtime, and each class's public constructor, methods and setters,
 * without the `private`, `protected` and `@internal` ones (what typedoc documents). A class that
 * extends an `@internal` base class (`Mmu` is written in layers) has that base's members too, as
 * its documentation page shows them.
 *
 * The bad-argument tests compare their tables against this list, so a new entry point without
 * a row fails the suite.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TypeScript from 'typescript';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');
const CACHE = resolve(dirname(fileURLToPath(import.meta.url)), '../../node_modules/.cache/mmukit-robustness');

// Loading the compiler takes seconds: it is loaded only when the sources changed since the list was cached.
let ts: typeof TypeScript;

/** One callable entry point: `'parsePe'`, `'new Mmu'`, `'Mmu.read8'`, `'set FrameAllocator.limit'`, `'static TranslationFault.create'`. */
export type EntryName = string;

function parse(file: string): TypeScript.SourceFile {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
}

const isInternal = (node: TypeScript.Node): boolean => ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'internal');
const hasModifier = (node: TypeScript.Node, kind: TypeScript.SyntaxKind): boolean =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);

/** Runtime (value) declarations a module exports, by exported name. */
function moduleExports(file: string, seen = new Set<string>()): Map<string, TypeScript.Node> {
  const out = new Map<string, TypeScript.Node>();
  if (seen.has(file)) return out;
  seen.add(file);
  const source = parse(file);
  const local = new Map<string, TypeScript.Node>();
  for (const statement of source.statements) {
    if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      local.set(statement.name.text, statement);
      if (hasModifier(statement, ts.SyntaxKind.ExportKeyword)) out.set(statement.name.text, statement);
    }
  }
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || statement.isTypeOnly) continue;
    const from = statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : null;
    const target = from === null ? null : resolve(dirname(file), from.replace(/\.js$/, '.ts'));
    const exports = target === null ? local : moduleExports(target, seen);
    if (statement.exportClause === undefined) {
      for (const [name, node] of exports) out.set(name, node);
    } else if (ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) {
        if (element.isTypeOnly) continue;
        const node = exports.get((element.propertyName ?? element.name).text);
        if (node !== undefined) out.set(element.name.text, node);
      }
    }
  }
  return out;
}

/** The class an `extends` clause names, found through the file's imports; null when there is none. */
function baseClass(node: TypeScript.ClassDeclaration): TypeScript.ClassDeclaration | null {
  const clause = node.heritageClauses?.find((c) => c.token === ts.SyntaxKind.ExtendsKeyword);
  const base = clause?.types[0]?.expression;
  if (base === undefined || !ts.isIdentifier(base)) return null;
  const source = node.getSourceFile();
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue;
    const element = bindings.elements.find((e) => e.name.text === base.text);
    if (element === undefined) continue;
    const target = resolve(dirname(source.fileName), statement.moduleSpecifier.text.replace(/\.js$/, '.ts'));
    const declaration = moduleExports(target).get((element.propertyName ?? element.name).text);
    return declaration !== undefined && ts.isClassDeclaration(declaration) ? declaration : null;
  }
  return null;
}

/** The members of `node` and of each `@internal` class it extends, most derived first. */
function membersWithInternalBases(node: TypeScript.ClassDeclaration): TypeScript.ClassElement[] {
  const members = [...node.members];
  for (let base = baseClass(node); base !== null && isInternal(base); base = baseClass(base)) members.push(...base.members);
  return members;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []))
    .sort();
}

/**
 * Every public callable entry point of `src/index.ts`, sorted. Cached under
 * node_modules/.cache, keyed by a hash of every source file and of this one.
 */
export function publicEntryPoints(): EntryName[] {
  const hash = createHash('sha1');
  for (const file of sourceFiles(SRC)) hash.update(file).update(readFileSync(file));
  hash.update(readFileSync(fileURLToPath(import.meta.url))); // and how they are read
  const cacheFile = join(CACHE, `public-api-${hash.digest('hex')}.json`);
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as EntryName[];
  } catch {
    // not cached yet
  }
  ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
  const names = readEntryPoints();
  mkdirSync(CACHE, { recursive: true });
  for (const old of readdirSync(CACHE)) if (old.startsWith('public-api-')) rmSync(join(CACHE, old), { force: true });
  writeFileSync(cacheFile, JSON.stringify(names));
  return names;
}

function readEntryPoints(): EntryName[] {
  const names: EntryName[] = [];
  for (const [name, node] of moduleExports(resolve(SRC, 'index.ts'))) {
    if (ts.isFunctionDeclaration(node)) {
      if (!isInternal(node)) names.push(name);
      continue;
    }
    if (!ts.isClassDeclaration(node)) continue;
    for (const member of membersWithInternalBases(node)) {
      if (hasModifier(member, ts.SyntaxKind.PrivateKeyword) || hasModifier(member, ts.SyntaxKind.ProtectedKeyword) || isInternal(member)) continue;
      if (member.name !== undefined && ts.isPrivateIdentifier(member.name)) continue;
      const isStatic = hasModifier(member, ts.SyntaxKind.StaticKeyword);
      if (ts.isConstructorDeclaration(member)) names.push(`new ${name}`);
      else if (ts.isMethodDeclaration(member)) names.push(`${isStatic ? 'static ' : ''}${name}.${member.name.getText()}`);
      else if (ts.isSetAccessorDeclaration(member)) names.push(`set ${name}.${member.name.getText()}`);
    }
    // A class without a declared constructor still has one (taking no arguments).
  }
  return [...new Set(names)].sort();
}
