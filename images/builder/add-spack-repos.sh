#!/bin/sh
# Clones the extra Spack package repositories of the site config (spack.repos) and adds them
# with `spack repo add`, in order. $1: `<url>|<branch or commit>|<path>` entries separated by
# spaces (the SPACK_REPOS build arg written by spacktainers), $2: the folder to clone into.
# A commit or a branch is fetched the same way (`git fetch` takes both; `clone --branch` no
# commit). Repositories on this GitLab authenticate through configure-git.sh's helper.
set -eu
entries="${1:-}"
root="${2:-/opt/spack-repos}"
index=0
for entry in $entries; do
  index=$((index + 1))
  url="${entry%%|*}"
  rest="${entry#*|}"
  ref="${rest%%|*}"
  path="${rest#*|}"
  dir="${root}/${index}"
  git init --quiet "$dir"
  git -C "$dir" remote add origin "$url"
  git -C "$dir" fetch --quiet --depth 1 origin "$ref"
  git -C "$dir" checkout --quiet FETCH_HEAD
  spack repo add --scope site "${dir}/${path}"
  echo "add-spack-repos.sh: ${url} at ${ref} ($(git -C "$dir" rev-parse HEAD)) added from ${dir}/${path}"
done
