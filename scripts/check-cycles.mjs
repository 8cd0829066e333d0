// Fails when the compiled modules under dist/ import each other in a cycle.
//
// Why not eslint-plugin-import-x's no-cycle: it needs unrs-resolver, a native module whose
// lock file entries for other platforms the registry reachable here does not serve, so
// `npm ci` refuses the lock. The compiled JavaScript is the runtime import graph exactly
// (type-only imports are erased), and all our imports are relative, so a plain scan is enough.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? 'dist');
const files = (function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : p.endsWith('.js') && !p.endsWith('.test.js') ? [p] : [];
  });
})(root);

// Static imports and re-exports (`import ... from`, `export ... from`, bare `import '...'`).
const IMPORT =
  /^\s*(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|^\s*import\s*['"](\.{1,2}\/[^'"]+)['"]/gm;
const graph = new Map(
  files.map((f) => {
    const text = readFileSync(f, 'utf8');
    const deps = [...text.matchAll(IMPORT)].map((m) => resolve(dirname(f), m[1] ?? m[2]));
    return [f, deps.filter((d) => d !== f)];
  }),
);

// Tarjan's strongly connected components: any component of two or more modules is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const cycles = [];
function connect(v) {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!idx.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const scc = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      scc.push(w);
    } while (w !== v);
    if (scc.length > 1) cycles.push(scc);
  }
}
for (const f of graph.keys()) if (!idx.has(f)) connect(f);

if (cycles.length) {
  for (const c of cycles) {
    console.error(`import cycle: ${c.map((f) => relative(root, f)).join(' <-> ')}`);
  }
  console.error(
    `${cycles.length} import cycle(s) under ${relative(process.cwd(), root) || '.'}: break them (move the shared part into a module both import).`,
  );
  process.exit(1);
}
console.log(`no import cycles among ${files.length} modules`);
