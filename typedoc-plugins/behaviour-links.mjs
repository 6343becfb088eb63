// TypeDoc plugin: every Windows behaviour number (B1 to B103) in an API comment links to its
// table in the kernel guide, docs/kernel.md, where each number is explained with its source.
// The tables are headed "### B<first> to B<last>: <topic>", one row per number ("| B12 | ...").
// A number in a comment with no row there stops the build: a comment cannot cite an
// unexplained behaviour.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Converter, normalizePath } from 'typedoc';

const GUIDE = 'docs/kernel.md';
const NUMBER = /\bB([1-9]\d{0,2})\b/g;

/** typedoc's heading slug (Slugger.serialize, lower-cased), which is also the hosting site's for these headings. */
function slug(heading) {
  return heading
    .trim()
    .replace(/[\u2000-\u206F\u2E00-\u2E7F\\'!"#$%&()*+,./:;<=>?@[\]^`{|}~]/g, '')
    .replace(/\s/g, '-')
    .replace(/--+/, '-')
    .toLowerCase();
}

/** Number → anchor of the table that explains it, read from the guide. */
export function behaviourAnchors(markdown) {
  const anchors = new Map();
  let section;
  for (const line of markdown.split('\n')) {
    const heading = /^### (B(\d+) to B(\d+):.*)$/.exec(line);
    if (heading) {
      section = { anchor: slug(heading[1]), first: Number(heading[2]), last: Number(heading[3]) };
      continue;
    }
    if (line.startsWith('#')) section = undefined;
    const row = /^\| B(\d+) \|/.exec(line);
    if (row && section && Number(row[1]) >= section.first && Number(row[1]) <= section.last) {
      anchors.set(Number(row[1]), section.anchor);
    }
  }
  return anchors;
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const project = context.project;
      const guide = normalizePath(resolve(app.options.getValue('basePath') || process.cwd(), GUIDE));
      const anchors = behaviourAnchors(readFileSync(guide, 'utf8'));
      const { target } = project.files.registerAbsolute(guide);
      const missing = new Set();
      const link = (parts) =>
        parts.flatMap((part) => {
          if (part.kind !== 'text' || !/\bB[1-9]/.test(part.text)) return [part];
          const out = [];
          let last = 0;
          for (const m of part.text.matchAll(NUMBER)) {
            const anchor = anchors.get(Number(m[1]));
            if (anchor === undefined) {
              missing.add(m[0]);
              continue;
            }
            out.push({ kind: 'text', text: part.text.slice(last, m.index) + '[' + m[0] + '](' });
            out.push({ kind: 'relative-link', text: `${GUIDE}#${anchor}`, target, targetAnchor: anchor });
            out.push({ kind: 'text', text: ')' });
            last = m.index + m[0].length;
          }
          out.push({ kind: 'text', text: part.text.slice(last) });
          return out;
        });
      for (const reflection of Object.values(project.reflections)) {
        const comment = reflection.comment;
        if (!comment) continue;
        comment.summary = link(comment.summary);
        for (const tag of comment.blockTags) tag.content = link(tag.content);
      }
      if (missing.size > 0) {
        app.logger.error(`behaviour-links: ${[...missing].join(', ')} cited in API comments but not explained in ${GUIDE}`);
      }
    },
    100,
  );
}
