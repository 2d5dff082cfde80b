#!/bin/sh
# The claims pipeline's `layout` job, first part (generated into .gitlab-ci.yml by
# claims-repository.ts): fails, naming each file and the allowed layouts, when a file under
# claims/ or groups/ is not at a claim path. Plain sh and find, so it runs before the job
# touches the cluster; the API server checks the names themselves.
#
# The generator drops these leading comment lines and fills in, from the platform's claim
# kinds, @CLAIM_PATHS@ (their path patterns) and the `# @CLAIM_KINDS@` line (one case arm per
# kind: a cluster-scoped kind's claims at claims/<plural>/<name>.yaml, a namespaced kind's at
# claims/<plural>/<namespace>/<name>.yaml).
status=0
bad() { echo "$1: not a claim path; claims live at @CLAIM_PATHS@, groups/<path>.json" >&2; status=1; }
for f in $(find claims groups -type f 2>/dev/null | sort); do
  case "$f" in
    # @CLAIM_KINDS@
    groups/[a-z0-9]*.json) case "${f#groups/}" in */*) bad "$f" ;; esac ;;
    *) bad "$f" ;;
  esac
done
test "$status" -eq 0
