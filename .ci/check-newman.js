// Reads a newman JSON report and a list of allowed failures ("request :: assertion");
// exits 1 when an assertion outside the list failed, and names every failure.
const fs = require("fs");
const [report, allowedFile] = process.argv.slice(2);
const run = JSON.parse(fs.readFileSync(report, "utf8")).run;
const allowed = new Set(
  (allowedFile ? fs.readFileSync(allowedFile, "utf8") : "")
    .split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")),
);
let unexpected = 0, passed = 0, deviations = 0;
for (const ex of run.executions) {
  for (const a of ex.assertions || []) {
    const name = `${ex.item.name} :: ${a.assertion}`;
    if (!a.error) { passed++; continue; }
    if (allowed.has(name)) { deviations++; console.log(`  deviation (see README): ${name}`); continue; }
    unexpected++;
    console.log(`  FAILED: ${name}: ${a.error.message}`);
  }
}
console.log(`${passed} passed, ${unexpected} failed, ${deviations} skipped`);
process.exit(unexpected > 0 ? 1 : 0);
