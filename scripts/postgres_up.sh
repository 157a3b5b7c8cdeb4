#!/usr/bin/env bash
# Start a local PostgreSQL 15 for the tests (Debian packages; run as root, idempotent) and create
# the login role and database named by LEAD_FUNNEL_PG_USER / LEAD_FUNNEL_PG_DATABASE with the
# password in LEAD_FUNNEL_PG_PASSWORD. Nothing here is a secret: the server listens on localhost
# only and lives as long as the test machine. The role may create databases: the engine-parity
# test (tests/python/test_engine_parity.py) builds in a database of its own, made afresh.
set -euo pipefail
: "${LEAD_FUNNEL_PG_USER:?}" "${LEAD_FUNNEL_PG_PASSWORD:?}" "${LEAD_FUNNEL_PG_DATABASE:?}"
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -n | tail -1)
pg_ctlcluster "$version" main start 2>/dev/null || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 1 30); do
    su postgres -c "psql -qAt -c 'select 1'" >/dev/null 2>&1 && break
    sleep 1
done
su postgres -c "psql -v ON_ERROR_STOP=1 -qAt" <<SQL >/dev/null
do \$\$ begin
  if not exists (select from pg_roles where rolname = '${LEAD_FUNNEL_PG_USER}') then
    create role "${LEAD_FUNNEL_PG_USER}" login createdb password '${LEAD_FUNNEL_PG_PASSWORD}';
  else
    alter role "${LEAD_FUNNEL_PG_USER}" login createdb password '${LEAD_FUNNEL_PG_PASSWORD}';
  end if;
end \$\$;
SQL
if ! su postgres -c "psql -qAt -c \"select 1 from pg_database where datname = '${LEAD_FUNNEL_PG_DATABASE}'\"" | grep -q 1; then
    su postgres -c "createdb -O '${LEAD_FUNNEL_PG_USER}' '${LEAD_FUNNEL_PG_DATABASE}'"
fi
echo "PostgreSQL $version is up on localhost for role ${LEAD_FUNNEL_PG_USER}"
