import { defineSpacktainersProject } from "../../vitest.shared.ts";

export default defineSpacktainersProject("image-builder", { hookTimeout: 120_000 });
