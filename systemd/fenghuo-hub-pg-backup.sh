#!/bin/sh
# Backs up a county hub whose store is PostgreSQL: one pg_dump (custom format, -Fc) of the hub's database into a
# folder, keeping the newest N; see "Backup, restore and update" in README.md. Run by fenghuo-hub-backup.timer.
#
#   fenghuo-hub-pg-backup.sh [--config FILE] [--to DIR] [--keep N]
#
# Connection: the `store: postgres:` URL of the hub's config (default /etc/fenghuo/hub.yaml), the same the hub uses;
# what the URL leaves out comes from libpq's PG* environment (PGPASSFILE, PGSSLMODE, ...). Never a password prompt.
# Put no password in the URL (it would show in ps): peer authentication over the Unix socket, or ~/.pgpass.
#
# Output: DIR/fenghuo-hub-<UTC yyyymmddThhmmssZ>.dump and .dump.sha256 beside it. Written as .partial, checked
# (pg_restore --list reads the whole table of contents), synced, then renamed: a file with the final name is a
# complete dump; a run killed half-way leaves only .partial files, which the next run removes.
#
# Exit status: 0 dump written and checked; 1 the dump failed (nothing new kept, older dumps untouched);
# 2 bad command line or configuration (no postgres store, no pg_dump); 3 another backup is running into DIR.
set -eu

me=fenghuo-hub-pg-backup
config=/etc/fenghuo/hub.yaml
to=/var/lib/fenghuo-hub-backups
keep=14

usage() {
  cat <<'USAGE'
usage: fenghuo-hub-pg-backup.sh [--config FILE] [--to DIR] [--keep N]
  --config FILE  the hub's config; its store: postgres: URL is the database dumped (default /etc/fenghuo/hub.yaml)
  --to DIR       where the dumps go (default /var/lib/fenghuo-hub-backups)
  --keep N       how many dumps to keep, newest first (default 14)
USAGE
}
say() { echo "$me: $*"; }
die() { code=$1; shift; echo "$me: $*" >&2; exit "$code"; }

while [ $# -gt 0 ]; do
  case $1 in
    --config) config=${2:?--config needs a file}; shift ;;
    --to) to=${2:?--to needs a directory}; shift ;;
    --keep) keep=${2:?--keep needs a number}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "$me: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case $keep in ''|*[!0-9]*) die 2 "--keep $keep: expected a whole number of dumps, at least 1" ;; esac
[ "$keep" -ge 1 ] || die 2 "--keep $keep: keep at least 1 dump"

# hub_pg_url FILE: the value of `postgres:` (under store:) in the hub's YAML, unquoted; empty when there is none.
hub_pg_url() {
  sed -n 's/^[[:space:]]\{1,\}postgres:[[:space:]]*//p' "$1" | sed 's/[[:space:]]\{1,\}#.*$//; s/[[:space:]]*$//; s/^"\(.*\)"$/\1/; s/^'"'"'\(.*\)'"'"'$/\1/' | head -n 1
}

[ -r "$config" ] || die 2 "cannot read $config (give the hub's config with --config FILE)"
url=$(hub_pg_url "$config")
[ -n "$url" ] || die 2 "$config has no store: postgres: URL: this hub keeps its data in SQLite; back it up with: fenghuo hub backup --config $config"
pg_dump=${PG_BINDIR:+$PG_BINDIR/}pg_dump
pg_restore=${PG_BINDIR:+$PG_BINDIR/}pg_restore
command -v "$pg_dump" >/dev/null 2>&1 || die 2 "pg_dump not found: apt-get install postgresql-client (or set PG_BINDIR)"
command -v "$pg_restore" >/dev/null 2>&1 || die 2 "pg_restore not found: apt-get install postgresql-client (or set PG_BINDIR)"
command -v flock >/dev/null 2>&1 || die 2 "flock not found (util-linux)"

umask 077
mkdir -p "$to" || die 2 "cannot make $to"
# One run at a time per folder; the lock goes with the process (also when it is killed).
exec 9>"$to/.lock"
flock -n 9 || die 3 "another backup is writing into $to"
# Holding the lock: any .partial here is from a run that died.
for p in "$to"/fenghuo-hub-*.partial; do
  [ -e "$p" ] || continue
  rm -f "$p"
  say "removed $p (left by an interrupted run)"
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
while [ -e "$to/fenghuo-hub-$stamp.dump" ]; do sleep 1; stamp=$(date -u +%Y%m%dT%H%M%SZ); done
name=fenghuo-hub-$stamp.dump
partial=$to/$name.partial
sumpartial=$to/$name.sha256.partial
cleanup() { rm -f "$partial" "$sumpartial"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

export PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-30}
started=$(date +%s)
say "dumping the hub database to $to/$name"
if ! "$pg_dump" --format=custom --no-password --dbname="$url" --file="$partial"; then
  die 1 "pg_dump failed: no new dump; the older ones in $to are untouched"
fi
# The whole table of contents must read back, or the file is not a dump.
if ! "$pg_restore" --list "$partial" >/dev/null; then
  die 1 "the dump does not read back (pg_restore --list failed): no new dump"
fi
sum=$(sha256sum "$partial" | cut -d' ' -f1)
printf '%s  %s\n' "$sum" "$name" >"$sumpartial"
sync "$partial" "$sumpartial"
mv -f "$sumpartial" "$to/$name.sha256"
mv -f "$partial" "$to/$name"
sync "$to"
trap - EXIT
bytes=$(stat -c %s "$to/$name")
say "ok: $to/$name, $bytes bytes, sha256 $sum, $(($(date +%s) - started)) s"

# Rotation: the newest $keep dumps stay (names sort by time), with their .sha256; lone .sha256 files go too.
count=$(find "$to" -maxdepth 1 -name 'fenghuo-hub-*.dump' -type f | wc -l)
if [ "$count" -gt "$keep" ]; then
  find "$to" -maxdepth 1 -name 'fenghuo-hub-*.dump' -type f | LC_ALL=C sort | head -n "$((count - keep))" | while read -r old; do
    rm -f "$old" "$old.sha256"
    say "removed $old (keeping the newest $keep)"
  done
fi
for s in "$to"/fenghuo-hub-*.dump.sha256; do
  [ -e "$s" ] || continue
  [ -e "${s%.sha256}" ] || rm -f "$s"
done
exit 0
