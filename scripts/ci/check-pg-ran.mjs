// Fails CI when the server-Postgres tests (files named *.pg.test.ts) were skipped or absent:
// a green run that never touched the real server proves nothing about it.
import { readFileSync } from 'node:fs';
import { suiteRan } from './suite-ran.mjs';

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-artifacts/vitest.json', 'utf8'));
const { passed, notRun } = suiteRan(report, /\.pg\.test\.ts$/);
if (passed === 0 || notRun.length > 0) {
  console.error(`server-Postgres tests: ${passed} passed, ${notRun.length} not passed`);
  for (const line of notRun.slice(0, 20)) console.error(`  ${line}`);
  process.exit(1);
}
console.log(`server-Postgres tests: ${passed} passed, none skipped`);
// The suite's totals as the last line, in the plain form CI tools read.
const total = (k) => report[k] ?? 0;
console.log(`tests: ${total('numPassedTests')} passed, ${total('numFailedTests')} failed, ${total('numPendingTests') + total('numTodoTests')} skipped`);
