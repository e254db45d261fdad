// Preloaded with `node --require`: when the process exits, writes the names of the npm packages
// it loaded as CommonJS (undici, the AWS SDK, yauzl and yaml all are) to the file named by
// SPACKTAINERS_LOADED_PACKAGES, as a sorted JSON array.
const { writeFileSync } = require("node:fs");

process.on("exit", () => {
  const names = new Set();
  for (const path of Object.keys(require.cache)) {
    const at = path.lastIndexOf("/node_modules/");
    if (at === -1) continue;
    const [first, second] = path.slice(at + "/node_modules/".length).split("/");
    names.add(first.startsWith("@") ? `${first}/${second}` : first);
  }
  writeFileSync(process.env.SPACKTAINERS_LOADED_PACKAGES, JSON.stringify([...names].sort()));
});
