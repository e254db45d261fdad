/**
 * The dispatcher of our registry and Docker Hub requests: core's, shared with the GitLab client,
 * so every client reads `HTTP(S)_PROXY` and `NO_PROXY` (address ranges included) the same way.
 */
export {
  type CreateHttpDispatcherOptions as CreateDispatcherOptions,
  createHttpDispatcher as createDispatcher,
} from "@spacktainers/core/net";
