import { defineSpacktainersProject } from "../../vitest.shared.ts";

export default defineSpacktainersProject("cache-janitor");
