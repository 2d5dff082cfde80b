#!/bin/sh
# The claims pipeline's `dry-run` and `apply` jobs, after they select the agent's kube context:
# server-side apply of every claim under claims/, as the field manager CLAIMS_AGENT.fieldManager
# of claims-repository.ts. The generator drops these leading comment lines and fills in
# @DRY_RUN@: ` --dry-run=server` for `dry-run` (the API server checks each claim against its
# API's schema, CEL rules and admission policies, and the job's RBAC), nothing for `apply`.
# kubectl refuses an empty set of files, so a repository without claims says so instead.
if [ -n "$(find claims -type f -name '*.yaml' 2>/dev/null)" ]; then
  kubectl apply --server-side --field-manager=platform-claims@DRY_RUN@ --recursive -f claims/
else
  echo "No claims under claims/ yet."
fi
