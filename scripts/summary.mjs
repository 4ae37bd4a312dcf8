// Prints one line per vitest JSON report ("podman5: N passed, …") and the plain
// closing line of them all: "tests: N passed, N failed, N skipped". A report
// that is missing (its run died before its tests) counts as one failure.
import { readFileSync } from "node:fs";
import { basename } from "node:path";

const total = { passed: 0, failed: 0, skipped: 0 };
for (const file of process.argv.slice(2)) {
  const name = basename(file, ".json");
  let report;
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    console.log(`${name}: no report (the run ended before its tests)`);
    total.failed += 1;
    continue;
  }
  const counts = {
    passed: report.numPassedTests,
    failed:
      report.numFailedTests + (report.success === false && report.numFailedTests === 0 ? 1 : 0),
    skipped: report.numPendingTests + report.numTodoTests,
  };
  for (const k of Object.keys(total)) total[k] += counts[k];
  console.log(
    `${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`,
  );
}
console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
