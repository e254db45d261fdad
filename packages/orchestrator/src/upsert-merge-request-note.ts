import type { GitlabClient } from "@spacktainers/artifact-gatherer";

/** Hidden first line of our plan note: how a later push finds the note to update. */
export const PLAN_NOTE_MARKER = "<!-- spacktainers:plan -->";

export interface UpsertMergeRequestNoteOptions {
  /** Client of the project (token with the `api` scope). */
  gitlab: Pick<GitlabClient, "listAll" | "sendJson">;
  /** `CI_MERGE_REQUEST_IID`. */
  mergeRequestIid: string;
  /** The note's Markdown; must start with `marker`. */
  body: string;
  /** The hidden marker that identifies our note (default {@link PLAN_NOTE_MARKER}). */
  marker?: string;
}

type NoteResponse = { id: number; body: string; system: boolean };

/**
 * Keeps ONE note of ours on a merge request: finds it by its hidden marker (the first line of a
 * non-system note; a user quoting it starts with `>`), then updates it in place (`PUT`), or
 * creates it (`POST`) on the first push. Notes API: docs.gitlab.com/api/notes/#merge-requests.
 */
export async function upsertMergeRequestNote({
  gitlab,
  mergeRequestIid,
  body,
  marker = PLAN_NOTE_MARKER,
}: UpsertMergeRequestNoteOptions): Promise<{ action: "created" | "updated"; noteId: number }> {
  if (!body.startsWith(marker)) throw new Error("the note body must start with its marker");
  const base = `/merge_requests/${encodeURIComponent(mergeRequestIid)}/notes`;
  // Oldest first: if two notes ever carry the marker (two pipelines racing), the first one stays ours.
  const notes = await gitlab.listAll<NoteResponse>(base, { sort: "asc", order_by: "created_at" });
  const ours = notes.find((note) => !note.system && note.body.startsWith(marker));
  if (ours) {
    await gitlab.sendJson<NoteResponse>("PUT", `${base}/${ours.id}`, { body });
    return { action: "updated", noteId: ours.id };
  }
  const created = await gitlab.sendJson<NoteResponse>("POST", base, { body });
  return { action: "created", noteId: created.id };
}
