#!/bin/sh
# The claims pipeline's `groups` job (main only, one at a time): creates the GitLab subgroup of
# every group request under groups/ that does not exist yet, private, under the customers
# group, with the token only pipelines of the protected default branch receive. Idempotent: an
# existing group is left as it is. Any answer other than "exists" (200) or "does not exist"
# (404) stops the job before it creates anything more, with GitLab's status; a refused creation
# stops it with GitLab's message. CUSTOMER_GROUPS_TOKEN, CUSTOMERS_GROUP_ID and
# CUSTOMERS_GROUP_PATH are CI/CD variables the stack sets on the claims project
# (GROUP_JOB_VARIABLES in claims-repository.ts); CI_API_V4_URL is GitLab's own.
set -eu
: "${CUSTOMER_GROUPS_TOKEN:?is not set: it is a protected variable, given to pipelines of the default branch only}"
for f in $(find groups -type f -name '*.json' 2>/dev/null | sort); do
  path=$(basename "$f" .json)
  full="$CUSTOMERS_GROUP_PATH/$path"
  encoded=$(printf %s "$full" | jq -sRr @uri)
  status=$(curl -sS -o /dev/null -w '%{http_code}' -H "PRIVATE-TOKEN: $CUSTOMER_GROUPS_TOKEN" "$CI_API_V4_URL/groups/$encoded")
  case "$status" in
    200) echo "$full exists"; continue ;;
    404) ;;
    *) echo "$full: GitLab answered HTTP $status to GET /groups/$encoded; nothing created" >&2; exit 1 ;;
  esac
  if ! answer=$(curl -sS --fail-with-body -X POST -H "PRIVATE-TOKEN: $CUSTOMER_GROUPS_TOKEN" "$CI_API_V4_URL/groups" \
    --data-urlencode "name=$(jq -r .spec.profile.displayName "$f")" \
    --data-urlencode "path=$path" \
    --data-urlencode "description=$(jq -r '.metadata.description // ""' "$f")" \
    --data-urlencode "parent_id=$CUSTOMERS_GROUP_ID" --data-urlencode "visibility=private"); then
    echo "$full: GitLab refused to create it: $answer" >&2; exit 1
  fi
  echo "$full created"
done
