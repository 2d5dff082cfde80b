#!/bin/sh
# The claims pipeline's `layout` job, second part (merge requests and main): every file under
# groups/ is a Group request for a subgroup of the customers group: a Backstage Group entity
# whose name and GitLab path annotation match its file and that has a display name. jq, as the
# pipeline image has it. CUSTOMERS_GROUP_PATH is a CI/CD variable the stack sets on the claims
# project (GROUP_JOB_VARIABLES in claims-repository.ts).
status=0
for f in $(find groups -type f -name '*.json' 2>/dev/null | sort); do
  path=$(basename "$f" .json)
  if ! jq -e --arg path "$path" --arg full "$CUSTOMERS_GROUP_PATH/$path" '.apiVersion == "backstage.io/v1alpha1" and .kind == "Group" and (.metadata.name | endswith("-" + $path)) and ([.metadata.annotations[]] | index($full) != null) and (.spec.profile.displayName | type == "string" and length > 0)' "$f" >/dev/null; then
    echo "$f: not a Group request for $CUSTOMERS_GROUP_PATH/$path (see the customer-group template)" >&2; status=1
  fi
done
test "$status" -eq 0
