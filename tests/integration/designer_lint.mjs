// Lints BPMN files with the designer's packed bpmnlint configuration, as the browser does.
// Usage: node designer_lint.mjs PAGE_DATA.json FILE... ; prints {file: [[category, rule, id]]}.
import fs from "node:fs";
import { BpmnModdle } from "bpmn-moddle";
import { Linter } from "bpmnlint";
import packed from "../../web/static/src/lint-config.js";
import { configureRules } from "../../web/static/src/lint-rules.js";

const [pageData, ...files] = process.argv.slice(2);
configureRules(JSON.parse(fs.readFileSync(pageData, "utf8")));
const spiffworkflow = JSON.parse(
  fs.readFileSync(new URL("../../web/static/src/spiffworkflow-moddle.json", import.meta.url), "utf8"),
);
const found = {};
for (const file of files) {
  const moddle = new BpmnModdle({ spiffworkflow });
  const { rootElement } = await moddle.fromXML(fs.readFileSync(file, "utf8"));
  const results = await new Linter(packed).lint(rootElement);
  found[file] = Object.entries(results).flatMap(([rule, reports]) =>
    reports.map((report) => [report.category, rule, report.id]),
  );
}
process.stdout.write(JSON.stringify(found));
