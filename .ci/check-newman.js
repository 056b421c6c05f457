// Reads a newman JSON report, the number of assertions the collection must run, and a
// list of allowed failures ("request :: assertion"); exits 1 when fewer assertions ran
// than that (a run that stopped early, or never started, checks nothing), when an
// assertion outside the list failed, or when the report cannot be read. Names every
// failure.
const fs = require("fs");
const [report, minimum, allowedFile] = process.argv.slice(2);
const min = Number(minimum);
if (!report || !Number.isInteger(min) || min < 1) {
  console.log("usage: check-newman.js REPORT MIN_ASSERTIONS [ALLOWED_FAILURES]");
  process.exit(2);
}
const run = JSON.parse(fs.readFileSync(report, "utf8")).run;
const allowed = new Set(
  (allowedFile ? fs.readFileSync(allowedFile, "utf8") : "")
    .split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")),
);
let unexpected = 0, passed = 0, deviations = 0;
for (const ex of run.executions || []) {
  for (const a of ex.assertions || []) {
    const name = `${ex.item.name} :: ${a.assertion}`;
    if (!a.error) { passed++; continue; }
    if (allowed.has(name)) { deviations++; console.log(`  deviation (see README): ${name}`); continue; }
    unexpected++;
    console.log(`  FAILED: ${name}: ${a.error.message}`);
  }
}
const ran = passed + unexpected + deviations;
console.log(`${passed} passed, ${unexpected} failed, ${deviations} skipped (${ran} assertions ran, ${min} expected)`);
if (ran < min) console.log(`  FAILED: only ${ran} of the collection's ${min} assertions ran`);
process.exit(unexpected > 0 || ran < min ? 1 : 0);
