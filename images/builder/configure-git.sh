#!/bin/sh
# Lets git reach repositories of this GitLab (host $1, e.g. gitlab.example.org) with the CI job
# token of whichever job runs it, without the token ever being written anywhere:
# - SSH-form URLs (git@host:group/repo.git, ssh://git@host/…), as package recipes often write
#   them, are fetched over HTTPS instead (url.<base>.insteadOf);
# - a credential helper answers git's request for https://<host> with user gitlab-ci-token and
#   the CI_JOB_TOKEN of the environment at that moment, so the image holds no token (it expires
#   with its job) and nothing prints it.
# Writes the system git config (GIT_CONFIG_SYSTEM when set, as in the tests).
set -eu
host="${1:-}"
if [ -z "$host" ]; then
  echo "configure-git.sh: no GitLab host given; git URLs are left as they are"
  exit 0
fi
git config --system --unset-all "url.https://${host}/.insteadOf" || true
git config --system --add "url.https://${host}/.insteadOf" "git@${host}:"
git config --system --add "url.https://${host}/.insteadOf" "ssh://git@${host}/"
git config --system "credential.https://${host}.helper" \
  '!f() { test "$1" = get && test -n "${CI_JOB_TOKEN:-}" && printf "username=gitlab-ci-token\npassword=%s\n" "$CI_JOB_TOKEN"; }; f'
echo "configure-git.sh: git fetches from ${host} over HTTPS with the job's CI_JOB_TOKEN"
