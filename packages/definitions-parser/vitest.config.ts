import { defineSpacktainersProject } from "../../vitest.shared.ts";

export default defineSpacktainersProject("definitions-parser");
