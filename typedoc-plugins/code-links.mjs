// TypeDoc plugin: in the guides and the README, a code span that names an export links to its
// API page. The guides are read in two places: on the code-hosting site, where `{@link Mmu}`
// would show as raw text, and on the documentation site. So they name API items as plain code
// spans -- `Mmu`, `Process.loadImage`, `Process.virtualAlloc(address, size, type, protect)` --
// which read as code on the hosting site, and this plugin turns each one whose name (before
// any argument list) is an export, or an export's member, into a link on the documentation site.
// An instance written in lower case stands for its class when a member follows: `mmu.read32`
// links to Mmu.read32, `process.loadImage(bytes)` to Process.loadImage. Code spans that name
// nothing exported stay plain code; a span naming an export's member that does not exist is an
// error, so renaming a method cannot leave a guide pointing at nothing.

import { Converter, ReflectionKind } from 'typedoc';

const NAME = /^`([A-Za-z_$][\w$]*)(?:\.([A-Za-z_$][\w$]*))?(\(.*\))?`$/;

/** Kinds preferred when one name has several exports (a const and a type both called Access). */
const PREFERENCE = [ReflectionKind.Class, ReflectionKind.Function, ReflectionKind.Variable, ReflectionKind.Interface, ReflectionKind.TypeAlias];

function escapeHtml(text) {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const project = context.project;
      const exports = new Map();
      for (const module of [project, ...project.getChildrenByKind(ReflectionKind.Module)]) {
        for (const child of module.children ?? []) {
          if (child.kindOf(ReflectionKind.Module)) continue;
          const known = exports.get(child.name);
          const rank = (r) => {
            const i = PREFERENCE.findIndex((k) => r.kindOf(k));
            return i < 0 ? PREFERENCE.length : i;
          };
          if (!known || rank(child) < rank(known)) exports.set(child.name, child);
        }
      }
      const link = (parts) =>
        parts.map((part) => {
          if (part.kind !== 'code') return part;
          const m = NAME.exec(part.text);
          if (!m) return part;
          const [, first, member] = m;
          const exact = exports.get(first);
          let target = exact ?? (member ? exports.get(first[0].toUpperCase() + first.slice(1)) : undefined);
          if (!target) return part;
          if (member) {
            const owner = target;
            // A const object's members (FaultResolution.Retry) live in its type literal.
            target = owner.getChildByName(member) ?? (owner.type?.type === 'reflection' ? owner.type.declaration.getChildByName(member) : undefined);
            if (!target) {
              if (exact) app.logger.error(`code-links: ${part.text} names ${owner.name}.${member}, which does not exist`);
              return part;
            }
          }
          return { kind: 'inline-tag', tag: '@linkcode', text: escapeHtml(part.text.slice(1, -1)), target };
        });
      if (project.readme) project.readme = link(project.readme);
      for (const doc of project.getReflectionsByKind(ReflectionKind.Document)) {
        doc.content = link(doc.content);
      }
    },
    100,
  );
}
