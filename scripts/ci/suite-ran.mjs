// What CI's "did this suite really run" checks share: the tests of files whose name matches
// `pattern` in vitest's JSON report, split into passed and not passed (failed, skipped, todo).
export function suiteRan(report, pattern) {
  let passed = 0;
  const notRun = [];
  for (const file of report.testResults ?? []) {
    if (!pattern.test(file.name)) continue;
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') passed += 1;
      else notRun.push(`${file.name}: ${t.fullName} (${t.status})`);
    }
  }
  return { passed, notRun };
}
