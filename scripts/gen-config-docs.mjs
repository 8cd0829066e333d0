// Regenerates the reference part of docs/configuration.md from the cluster file's schema.
// Usage: npm run build && npm run docs:config
// It rewrites only the text between <!-- BEGIN GENERATED REFERENCE --> and
// <!-- END GENERATED REFERENCE -->; the hand-written part above stays as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
const schemaJs = new URL('dist/core/config/schema.js', root);
const referenceJs = new URL('dist/core/config/reference-doc.js', root);
const variablesJs = new URL('dist/core/expr/variables.js', root);
const docPath = fileURLToPath(new URL('docs/configuration.md', root));

for (const url of [schemaJs, referenceJs, variablesJs]) {
  if (!existsSync(fileURLToPath(url))) {
    console.error(`haven: ${fileURLToPath(url)} is missing; run \`npm run build\` first.`);
    process.exit(1);
  }
}

const { clusterJsonSchema } = await import(schemaJs.href);
const { RESOURCE_VARIABLES } = await import(variablesJs.href);
const { renderConfigReference, spliceGenerated, BEGIN_MARKER, END_MARKER } = await import(
  referenceJs.href
);

const before = readFileSync(docPath, 'utf8');
const after = spliceGenerated(
  before,
  renderConfigReference(clusterJsonSchema(), { variables: RESOURCE_VARIABLES }),
);
if (after === undefined) {
  console.error(
    `haven: docs/configuration.md must hold the lines ${BEGIN_MARKER} and ${END_MARKER}, in that order.`,
  );
  process.exit(1);
}
if (after === before) {
  console.log('docs/configuration.md is up to date.');
} else {
  writeFileSync(docPath, after);
  console.log('docs/configuration.md: reference regenerated from the schema.');
}
