// Fails CI when the dashboard's browser tests (files named *.browser.test.ts) were skipped or
// absent: without chromium they skip, and a green run that never opened the page proves nothing
// about it.
import { readFileSync } from 'node:fs';
import { suiteRan } from './suite-ran.mjs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-artifacts/vitest.json', 'utf8'));
const { passed, notRun } = suiteRan(report, /\.browser\.test\.ts$/);
if (passed === 0 || notRun.length > 0) {
  console.error(`browser tests: ${passed} passed, ${notRun.length} not passed (is /usr/bin/chromium installed?)`);
  for (const line of notRun.slice(0, 20)) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`browser tests: ${passed} passed, none skipped`);
