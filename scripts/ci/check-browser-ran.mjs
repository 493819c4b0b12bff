// Fails CI when the dashboard's browser tests (files named *.browser.test.ts) were skipped or
// absent: without chromium they skip, and a green run that never opened the page proves nothing
// about it.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-artifacts/vitest.json', 'utf8'));
let passed = 0;
const notRun = [];
for (const file of report.testResults ?? []) {
  if (!/\.browser\.test\.ts$/.test(file.name)) continue;
  for (const t of file.assertionResults ?? []) {
    if (t.status === 'passed') passed += 1;
    else notRun.push(`${file.name}: ${t.fullName} (${t.status})`);
  }
}
if (passed === 0 || notRun.length > 0) {
  console.error(`browser tests: ${passed} passed, ${notRun.length} not passed (is /usr/bin/chromium installed?)`);
  for (const line of notRun.slice(0, 20)) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`browser tests: ${passed} passed, none skipped`);
