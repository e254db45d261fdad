import {
  createArtifactZip,
  type GitlabApiDouble,
  type GitlabApiDoubleState,
  type GitlabDoubleJob,
  startGitlabApiDouble,
} from "@spacktainers/test-utils";
import { onTestFinished } from "vitest";
import { createGitlabClient, type GitlabClient, type GitlabClientOptions } from "../src/index.js";

export const TOKEN = "glpat-test-token-0123456789";
export const PROJECT = "42";
export const PARENT = 1000;
export const CHILD = 2000;
export const NOW = new Date("2025-06-01T00:00:00Z");

/** The archive of a job that produced split pipelines. */
export const SPLIT_ZIP = createArtifactZip([
  { name: "split/amd64/" },
  { name: "split/amd64/pipeline-1.yml", data: "stages: [build]\n", deflate: true },
  { name: "split/amd64/pipeline-2.yml", data: "stages: [build]\nx: 1\n" },
]);

export const PLAN_ZIP = createArtifactZip([{ name: "plan/amd64.yml", data: "jobs: {}\n", deflate: true }]);

/** A parent pipeline with bridge `generate` → child pipeline with the given jobs. */
export function pipelineState(
  jobs: GitlabDoubleJob[],
  overrides: Partial<GitlabApiDoubleState> = {},
): GitlabApiDoubleState {
  return {
    projectId: PROJECT,
    tokens: [TOKEN],
    now: NOW,
    pipelines: [
      {
        id: PARENT,
        bridges: [
          { id: 10, name: "build base images", downstreamPipelineId: 1999 },
          { id: 11, name: "generate", downstreamPipelineId: CHILD },
        ],
        jobs: [{ id: 9, name: "generate pipeline", archive: PLAN_ZIP }],
      },
      { id: CHILD, jobs },
    ],
    ...overrides,
  };
}

/** Starts the double for the current test and stops it afterwards. */
export async function useDouble(state: GitlabApiDoubleState): Promise<GitlabApiDouble> {
  const double = await startGitlabApiDouble(state);
  onTestFinished(() => double.stop());
  return double;
}

/** A client on the double that records its waits instead of sleeping. */
export function useClient(
  double: GitlabApiDouble,
  options: Partial<GitlabClientOptions> = {},
): { client: GitlabClient; sleeps: number[] } {
  const sleeps: number[] = [];
  const client = createGitlabClient({
    apiUrl: double.url,
    projectId: PROJECT,
    token: TOKEN,
    random: () => 0,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  onTestFinished(() => client.close());
  return { client, sleeps };
}

/** The requests log as `STATUS server path` lines, for whole-value assertions. */
export function requestLines(double: GitlabApiDouble): string[] {
  return double.requests.map(
    (r) =>
      `${r.status} ${r.server}${r.privateToken ? " token" : ""} ${r.path.replace(double.storageUrl, "")}`,
  );
}

/** Runs a promise expected to reject; returns the error's code, exit code and message. */
export async function failure(
  promise: Promise<unknown>,
): Promise<{ code: string; exitCode: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { code: string; exitCode: number; message: string };
    return { code: e.code, exitCode: e.exitCode, message: e.message };
  }
  throw new Error("expected a rejection");
}
