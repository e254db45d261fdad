import { defineSpacktainersProject } from "../../vitest.shared.ts";

export default defineSpacktainersProject("artifact-gatherer");
