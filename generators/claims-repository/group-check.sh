#!/bin/sh
# The claims pipeline's `layout` job, second part (merge requests and main): every file under
# groups/ is a Group request for a subgroup of the customers group: a Backstage Group entity
# whose name and GitLab path annotation match its file and that has a display name. jq, as the
# pipeline image has it. CUSTOMERS_GROUP_PATH is a CI/CD variable the stack sets on the claims
# project (GROUP_JOB_VARIABLES in claims-repository.ts).
#
# One jq for all the files, not one per file (a start of jq costs tens of milliseconds, and the
# claims repository holds a request per customer group): each file is read as text, named by its
# path (--rawfile), and jq prints the paths of those that pass. A file that is not one JSON value
# does not pass.
status=0
files=$(find groups -type f -name '*.json' 2>/dev/null | sort)
ok=
if [ -n "$files" ]; then
  set --
  for f in $files; do
    if [ -f "$f" ]; then set -- "$@" --rawfile "$f" "$f"; fi
  done
  ok=$(jq -nr "$@" '
    $ARGS.named | to_entries[] | .key as $f | ($f | split("/") | last | rtrimstr(".json")) as $path
    | select(try (.value | fromjson
        | .apiVersion == "backstage.io/v1alpha1" and .kind == "Group"
          and (.metadata.name | endswith("-" + $path))
          and ([.metadata.annotations[]] | index($ENV.CUSTOMERS_GROUP_PATH + "/" + $path) != null)
          and (.spec.profile.displayName | type == "string" and length > 0)) catch false)
    | $f' || true)
fi
for f in $files; do
  path=${f##*/}
  path=${path%.json}
  case "
$ok
" in
    *"
$f
"*) ;;
    *) echo "$f: not a Group request for $CUSTOMERS_GROUP_PATH/$path (see the customer-group template)" >&2; status=1 ;;
  esac
done
test "$status" -eq 0
