// Prints one line per vitest JSON report ("podman5: N passed, …") and the plain
// closing line of them all: "tests: N passed, N failed, N skipped". A report
// that is missing (its run died before its tests) counts as one failure. Each
// failed test is named with its file and the first lines of its error, so the
// tail of a CI log says what broke.
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
  for (const suite of report.testResults ?? []) {
    const failed = (suite.assertionResults ?? []).filter((t) => t.status === "failed");
    if (failed.length === 0 && suite.status === "failed") {
      console.log(`  ✗ ${suite.name}: ${firstLines(suite.message)}`);
    }
    for (const t of failed) {
      console.log(`  ✗ ${suite.name} > ${t.fullName}: ${firstLines(t.failureMessages?.[0])}`);
    }
  }
}
function firstLines(message) {
  return (message ?? "no message").split("\n").slice(0, 3).join(" | ").slice(0, 400);
}

console.log(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
