#!/bin/sh
# The restore drill for a county hub on PostgreSQL: proves a dump from fenghuo-hub-pg-backup.sh restores, without
# touching the hub's own database; see "Backup, restore and update" in README.md.
#
#   fenghuo-hub-pg-restore.sh DUMP [--config FILE] [--scratch-db NAME] [--maintenance-db NAME] [--keep-scratch]
#
# 1. checks DUMP against DUMP.sha256 (when there is one) and reads its table of contents (pg_restore --list);
# 2. creates a new, empty scratch database on the hub's server (refuses a name that exists: never over data);
# 3. pg_restore's DUMP into it in one transaction, stopping at the first error;
# 4. counts the rows of every table in the dump's data and in the scratch database: they must be equal, table by
#    table; the live database's counts are shown beside them (they are usually higher: the hub kept writing);
# 5. drops the scratch database, unless --keep-scratch (then it is left for a look, or to point a hub at).
#
# Connection: the server and user of the hub config's `store: postgres:` URL (default /etc/fenghuo/hub.yaml), with
# the database part swapped for the maintenance database (CREATE/DROP DATABASE) and for the scratch one; PG* from
# the environment for the rest. The user needs CREATEDB (or run it as postgres: sudo -u postgres, with a config
# copy whose URL names that user).
#
# Exit status: 0 the dump restores and every count matches; 1 damaged dump, failed restore or a count differs;
# 2 bad command line or configuration, or the scratch database exists.
set -eu

me=fenghuo-hub-pg-restore
config=/etc/fenghuo/hub.yaml
scratch=fenghuo_hub_drill_$(date -u +%Y%m%d%H%M%S)
maint=postgres
keep_scratch=no
dump=

usage() {
  cat <<'USAGE'
usage: fenghuo-hub-pg-restore.sh DUMP [--config FILE] [--scratch-db NAME] [--maintenance-db NAME] [--keep-scratch]
  DUMP                 a dump from fenghuo-hub-pg-backup.sh (fenghuo-hub-<time>.dump)
  --config FILE        the hub's config: its store: postgres: URL names the server (default /etc/fenghuo/hub.yaml)
  --scratch-db NAME    the database to restore into; must not exist (default fenghuo_hub_drill_<UTC time>)
  --maintenance-db N   where CREATE/DROP DATABASE run (default postgres)
  --keep-scratch       leave the scratch database after the drill (default: dropped)
USAGE
}
say() { echo "$me: $*"; }
die() { code=$1; shift; echo "$me: $*" >&2; exit "$code"; }

while [ $# -gt 0 ]; do
  case $1 in
    --config) config=${2:?--config needs a file}; shift ;;
    --scratch-db) scratch=${2:?--scratch-db needs a name}; shift ;;
    --maintenance-db) maint=${2:?--maintenance-db needs a name}; shift ;;
    --keep-scratch) keep_scratch=yes ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "$me: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$dump" ] || { echo "$me: one dump at a time (got $dump and $1)" >&2; exit 2; }; dump=$1 ;;
  esac
  shift
done
[ -n "$dump" ] || { usage >&2; exit 2; }
case $scratch in [a-z_]*) ;; *) die 2 "--scratch-db $scratch: lower-case letters, digits and _, starting with a letter or _" ;; esac
case $scratch in *[!a-z0-9_]*) die 2 "--scratch-db $scratch: lower-case letters, digits and _ only" ;; esac
case $maint in ''|*[!A-Za-z0-9_]*) die 2 "--maintenance-db $maint: letters, digits and _ only" ;; esac

hub_pg_url() {
  sed -n 's/^[[:space:]]\{1,\}postgres:[[:space:]]*//p' "$1" | sed 's/[[:space:]]\{1,\}#.*$//; s/[[:space:]]*$//; s/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/' | head -n 1
}
# with_db URL NAME: the URL with its database part replaced by NAME (query parameters kept).
with_db() { printf '%s\n' "$1" | sed -E "s#^([a-z]+://[^/?]*)/?[^?]*#\\1/$2#"; }

[ -f "$dump" ] || die 2 "no dump at $dump"
[ -r "$config" ] || die 2 "cannot read $config (give the hub's config with --config FILE)"
url=$(hub_pg_url "$config")
[ -n "$url" ] || die 2 "$config has no store: postgres: URL (a SQLite hub is restored with fenghuo hub restore)"
pg_restore=${PG_BINDIR:+$PG_BINDIR/}pg_restore
psql=${PG_BINDIR:+$PG_BINDIR/}psql
command -v "$pg_restore" >/dev/null 2>&1 || die 2 "pg_restore not found: apt-get install postgresql-client (or set PG_BINDIR)"
command -v "$psql" >/dev/null 2>&1 || die 2 "psql not found: apt-get install postgresql-client (or set PG_BINDIR)"
export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}
maint_url=$(with_db "$url" "$maint")
scratch_url=$(with_db "$url" "$scratch")
q() { "$psql" --no-password --no-psqlrc --quiet --tuples-only --no-align --set=ON_ERROR_STOP=1 --dbname="$1" --command="$2"; }

# 1. The file.
if [ -f "$dump.sha256" ]; then
  want=$(cut -d' ' -f1 "$dump.sha256")
  have=$(sha256sum "$dump" | cut -d' ' -f1)
  [ "$want" = "$have" ] || die 1 "$dump is damaged: its sha256 does not match $dump.sha256"
  say "sha256 ok ($have)"
else
  say "no $dump.sha256 beside the dump: its checksum is not checked"
fi
"$pg_restore" --list "$dump" >/dev/null || die 1 "$dump is not a readable pg_dump archive (pg_restore --list failed)"

# 2. The scratch database: new, or nothing.
exists=$(q "$maint_url" "SELECT 1 FROM pg_database WHERE datname = '$scratch'") || die 2 "cannot reach the hub's server through database $maint"
[ -z "$exists" ] || die 2 "database $scratch exists: the drill restores into a new database only (give another --scratch-db)"
q "$maint_url" "CREATE DATABASE $scratch" >/dev/null || die 1 "CREATE DATABASE $scratch failed (the user needs CREATEDB)"
drop_scratch() { q "$maint_url" "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" >/dev/null || echo "$me: could not drop $scratch: drop it by hand" >&2; }
if [ "$keep_scratch" = yes ]; then trap - EXIT; else trap drop_scratch EXIT; fi
trap 'exit 1' INT TERM HUP
say "created scratch database $scratch"

# 3. The restore.
started=$(date +%s)
"$pg_restore" --no-password --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$scratch_url" "$dump" ||
  die 1 "pg_restore into $scratch failed: this dump does not restore"
say "restored $dump into $scratch in $(($(date +%s) - started)) s"

# 4. Row counts: the dump's data (its COPY blocks, one line a row) against the scratch database, table by table.
counts=$(mktemp)
"$pg_restore" --data-only --file=- "$dump" | awk '
  inside && $0 == "\\." { print table, n; inside = 0; next }
  inside { n++; next }
  /^COPY / { table = $2; n = 0; inside = 1 }
' >"$counts"
[ -s "$counts" ] || { rm -f "$counts"; die 1 "$dump holds no table data"; }
bad=0
printf '%-34s %12s %12s %12s\n' table dump restored live-now
while read -r table n; do
  restored=$(q "$scratch_url" "SELECT count(*) FROM $table") || restored=missing
  live=$(q "$url" "SELECT count(*) FROM $table" 2>/dev/null) || live=-
  mark=
  if [ "$restored" != "$n" ]; then mark='  <- DIFFERS'; bad=$((bad + 1)); fi
  printf '%-34s %12s %12s %12s%s\n' "$table" "$n" "$restored" "$live" "$mark"
done <"$counts"
tables=$(wc -l <"$counts")
rm -f "$counts"
schema=$(q "$scratch_url" "SELECT value FROM hub_meta WHERE key = 'schema_version'" 2>/dev/null) || schema=unknown
[ "$bad" -eq 0 ] || die 1 "$bad of $tables tables differ between the dump and the restored database"
say "ok: all $tables tables restored with the dump's row counts; hub schema $schema"
if [ "$keep_scratch" = yes ]; then say "kept scratch database $scratch (drop it with: DROP DATABASE $scratch)"; else say "dropping scratch database $scratch"; fi
exit 0
