/**
 * Runs the GitLab API double for the bench in its own process, so the bench measures the
 * gatherer's memory alone. Prints `{"url": …}` on stdout; stops when stdin closes.
 */
import { startGitlabApiDouble } from "@spacktainers/test-utils";

const [archives, perArchive, token] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!];
const double = await startGitlabApiDouble({
  projectId: "42",
  tokens: [token],
  pipelines: [
    { id: 1, bridges: [{ id: 2, name: "generate", downstreamPipelineId: 3 }] },
    {
      id: 3,
      jobs: Array.from({ length: archives }, (_, i) => ({
        id: 100 + i,
        name: `job ${i}`,
        redirect: "other-server" as const,
        // Two entries per archive: a big blob and a small file.
        archive: {
          generatedZip: [
            { name: `out/${i}/blob.bin`, size: perArchive - 1024 },
            { name: `out/${i}/small.txt`, size: 1024 },
          ],
        },
      })),
    },
  ],
});
process.stdout.write(`${JSON.stringify({ url: double.url })}\n`);
process.stdin.resume();
process.stdin.on("end", () => void double.stop());
