// TypeDoc plugin: a class that extends an @internal base class is documented as one flat class.
// `Mmu` is written in layers, one file each (control registers, slow path, bulk access, hit
// path), so that a reader finds each concern on its own; the layers are an implementation
// detail. Without this plugin the API page would show a hierarchy of classes the reader cannot
// open and label most members "Inherited from MmuBulkAccess". Members keep their documentation.

import { Converter, ReflectionFlag, ReflectionKind } from 'typedoc';

/**
 * Whether `type` names a class of this package that is not part of the documentation (an
 * @internal one). A base from elsewhere (`Error`) is left alone: its members stay "inherited".
 */
function isHiddenBase(type, packageName) {
  return type.type === 'reference' && type.reflection === undefined && type.package === packageName;
}

export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      const packageName = context.project.packageName;
      const hidden = (type) => isHiddenBase(type, packageName);
      for (const cls of context.project.getReflectionsByKind(ReflectionKind.Class)) {
        if (!cls.extendedTypes?.some(hidden)) continue;
        // Members name the base they come from as `Base.member` (with no package to check).
        const hiddenNames = new Set(cls.extendedTypes.filter(hidden).map((type) => type.name));
        const fromHidden = (ref) => ref !== undefined && ref.reflection === undefined && hiddenNames.has(ref.name.split('.')[0]);
        cls.extendedTypes = cls.extendedTypes.filter((type) => !hidden(type));
        if (cls.extendedTypes.length === 0) cls.extendedTypes = undefined;
        // The hierarchy panel was built from the bases before this ran: keep only what is documented.
        if (cls.extendedTypes === undefined && cls.extendedBy === undefined) cls.typeHierarchy = undefined;
        const members = [...(cls.children ?? []), ...(cls.children ?? []).flatMap((child) => child.signatures ?? []),
          ...(cls.children ?? []).flatMap((child) => [child.getSignature, child.setSignature].filter(Boolean))];
        for (const member of members) {
          if (fromHidden(member.inheritedFrom)) member.inheritedFrom = undefined;
          if (fromHidden(member.overwrites)) member.overwrites = undefined;
          if (member.inheritedFrom === undefined) member.setFlag?.(ReflectionFlag.Inherited, false);
        }
      }
    },
    // After TypeDoc's own resolvers, which build the hierarchy panel from the bases.
    -100,
  );
}
