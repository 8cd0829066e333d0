// Walks the zod schema along a document path, to list the keys allowed there ("did you mean").

import type * as z from 'zod';
import type { Path } from './diagnostic.js';

type Def = z.core.$ZodTypeDef & Record<string, unknown>;

function defOf(s: unknown): Def | undefined {
  return (s as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

/** Every object schema that may stand at this point (more than one under a union). */
function objectsAt(schema: unknown, path: Path): Record<string, unknown>[] {
  const def = defOf(schema);
  if (!def) return [];
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'readonly':
    case 'prefault':
    case 'catch':
      return objectsAt(def['innerType'], path);
    case 'pipe':
      return objectsAt(def['in'], path);
    case 'union':
      return (def['options'] as unknown[]).flatMap((o) => objectsAt(o, path));
    case 'array':
      return typeof path[0] === 'number' ? objectsAt(def['element'], path.slice(1)) : [];
    case 'record':
      return path.length ? objectsAt(def['valueType'], path.slice(1)) : [];
    case 'object': {
      const shape = def['shape'] as Record<string, unknown>;
      if (path.length === 0) return [shape];
      const next = shape[String(path[0])];
      return next === undefined ? [] : objectsAt(next, path.slice(1));
    }
    default:
      return [];
  }
}

/** The keys an object at this path may have, sorted. */
export function knownKeysAt(schema: unknown, path: Path): string[] {
  const keys = new Set<string>();
  for (const shape of objectsAt(schema, path)) for (const k of Object.keys(shape)) keys.add(k);
  return [...keys].sort();
}
