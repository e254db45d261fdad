import { defineSpacktainersProject } from "../vitest.shared.ts";

// Tests of the repository's own scripts (release, test requirements).
export default defineSpacktainersProject("scripts", { include: ["*.test.ts"], testTimeout: 120_000 });
