function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Rewrites paths under Spack's artifacts root (`jobs_scratch_dir`) to where this container's
 * concretize artifacts land (`jobs_scratch_dir.<arch>/<container>`). Spack 0.19 scripts use
 * `${SPACK_CONCRETE_ENV_DIR}`, 0.23+ write the literal `cd jobs_scratch_dir/concrete_environment`.
 */
export function createRebase(oldRoot: string, newRoot: string): (text: string) => string {
  if (oldRoot === newRoot) return (text) => text;
  const pattern = new RegExp(`(^|[\\s'"=:])${escapeRegExp(oldRoot)}(?=$|[/\\s'"])`, "g");
  return (text) =>
    text.includes(oldRoot) ? text.replace(pattern, (_, before: string) => `${before}${newRoot}`) : text;
}
