// Whether each minified script is the same program as its source: both parsed by acorn, the
// trees compared without positions. Usage: node same_code.mjs SOURCE MINIFIED [SOURCE MINIFIED ...]
// Prints the sources whose program changed, one per line; exits 1 if any did.
import { readFileSync } from "node:fs";
import { parse } from "acorn";

const tree = (path) => JSON.stringify(parse(readFileSync(path, "utf8"),
  { ecmaVersion: "latest", sourceType: "module" }),
  (key, value) => (key === "start" || key === "end" || key === "raw" ? undefined : value));

const files = process.argv.slice(2);
let changed = 0;
for (let i = 0; i < files.length; i += 2) {
  let same;
  try { same = tree(files[i]) === tree(files[i + 1]); } catch (error) { same = false; }
  if (!same) { console.log(files[i]); changed += 1; }
}
process.exit(changed ? 1 : 0);
