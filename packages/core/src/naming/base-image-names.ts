/** The three base images: Spack and compilers, the runtime, apptainer for SIF conversion. */
export const BASE_IMAGE_NAMES = ["builder", "runtime", "singularitah"] as const;
/** A base image name. */
export type BaseImageName = (typeof BASE_IMAGE_NAMES)[number];
