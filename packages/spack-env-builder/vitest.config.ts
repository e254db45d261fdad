import { defineSpacktainersProject } from "../../vitest.shared.ts";

export default defineSpacktainersProject("spack-env-builder");
