#!/usr/bin/env node
// The `release npm packages` job (`pnpm release`): turns pending changesets into versions and
// CHANGELOG.md entries, commits and pushes them, then publishes every public package whose
// version is not on the registry yet (`pnpm -r publish` skips those that are, so a rerun after a
// failure publishes only what is missing).
//
//   pnpm release --dry-run   versions in the working tree and runs `pnpm publish --dry-run`:
//                            no commit, no push, nothing uploaded (what the tests run).
//
// In CI it needs NPM_TOKEN (an npm automation token) and RELEASE_GIT_TOKEN (a project access
// token with write_repository, to push the version commit); neither is ever printed: npm reads
// its token from the environment through .npmrc syntax, git gets its password from a credential
// helper reading the environment, never from the command line or a URL.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dryRun = process.argv.includes("--dry-run");
const skipBuild = process.argv.includes("--skip-build");
const root = process.cwd();

function run(command, args, options = {}) {
  process.stderr.write(`release: ${command} ${args.join(" ")}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.status !== 0) {
    process.stderr.write(`release: ${command} ${args[0]} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

const pending = readdirSync(join(root, ".changeset")).filter(
  (file) => file.endsWith(".md") && file !== "README.md",
);
if (pending.length > 0) {
  run("pnpm", ["exec", "changeset", "version"]);
  if (!dryRun) {
    const { CI_SERVER_HOST, CI_PROJECT_PATH, CI_DEFAULT_BRANCH, RELEASE_GIT_TOKEN } = process.env;
    if (!RELEASE_GIT_TOKEN || !CI_SERVER_HOST || !CI_PROJECT_PATH || !CI_DEFAULT_BRANCH) {
      process.stderr.write(
        "release: RELEASE_GIT_TOKEN, CI_SERVER_HOST, CI_PROJECT_PATH and CI_DEFAULT_BRANCH are needed to push the version commit\n",
      );
      process.exit(2);
    }
    const git = ["-c", "user.name=spacktainers release", "-c", "user.email=release@invalid"];
    run("git", [...git, "commit", "--all", "--message", "Version packages [skip ci]"]);
    run("git", [
      ...git,
      "-c",
      // The password comes from the environment when git asks; it never appears in argv or a URL.
      'credential.helper=!f() { echo username=oauth2; echo "password=$RELEASE_GIT_TOKEN"; }; f',
      "push",
      `https://${CI_SERVER_HOST}/${CI_PROJECT_PATH}.git`,
      `HEAD:${CI_DEFAULT_BRANCH}`,
    ]);
  }
} else process.stderr.write("release: no pending changeset; publishing versions not on the registry yet\n");

if (!skipBuild) run("pnpm", ["build"]);
const publishEnv = { ...process.env };
if (!dryRun) {
  if (!process.env.NPM_TOKEN) {
    process.stderr.write("release: NPM_TOKEN (an npm automation token) is needed to publish\n");
    process.exit(2);
  }
  // pnpm expands ${NPM_TOKEN} itself when it reads this file: the value is never written anywhere.
  const npmrc = join(mkdtempSync(join(tmpdir(), "release-")), "npmrc");
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NPM_TOKEN} for pnpm to expand
  writeFileSync(npmrc, "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
  publishEnv.npm_config_userconfig = npmrc;
}
run("pnpm", ["-r", "publish", "--access", "public", "--no-git-checks", ...(dryRun ? ["--dry-run"] : [])], {
  env: publishEnv,
});
