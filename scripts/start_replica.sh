#!/usr/bin/env bash
# A real streaming replica of the local PostgreSQL (a second cluster made with pg_basebackup),
# on 127.0.0.1:${REPLICA_PORT:-5433}, for the read-replica tests. Idempotent: does nothing when the
# replica already answers. Needs root (it runs the cluster as the postgres user).
set -euo pipefail
PORT=${REPLICA_PORT:-5433}
DIR=${REPLICA_DIR:-/var/lib/postgresql/mha-replica}
VERSION=$(ls /etc/postgresql | head -n1)
BIN=/usr/lib/postgresql/$VERSION/bin

if pg_isready -h 127.0.0.1 -p "$PORT" -q; then
  exit 0
fi
# The primary must accept replication connections from this machine.
HBA=$(psql -h 127.0.0.1 -U postgres -tAc "SHOW hba_file")
if ! grep -q "^host replication all 127.0.0.1/32 trust" "$HBA"; then
  echo "host replication all 127.0.0.1/32 trust" >> "$HBA"
  psql -h 127.0.0.1 -U postgres -tAc "SELECT pg_reload_conf()" >/dev/null
fi
rm -rf "$DIR"
# A slot keeps the primary's WAL until the replica has it, however busy the primary is.
psql -h 127.0.0.1 -U postgres -tAc \
  "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'mha_replica'" >/dev/null
install -d -o postgres -g postgres -m 700 "$DIR"
runuser -u postgres -- "$BIN/pg_basebackup" -h 127.0.0.1 -p 5432 -U postgres -D "$DIR" -R -X stream -c fast -C -S mha_replica --no-sync
# Debian keeps a cluster's configuration outside its data directory: give the copy its own.
cat > "$DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '/tmp'
hot_standby = on
# A throw-away test replica: no fsync, so it starts in seconds on a busy machine.
fsync = off
max_connections = 100
CONF
printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' > "$DIR/pg_hba.conf"
: > "$DIR/pg_ident.conf"
chown postgres:postgres "$DIR"/*.conf
runuser -u postgres -- "$BIN/pg_ctl" -D "$DIR" -l "$DIR.log" -w -t 300 start >/dev/null
for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p "$PORT" -q && break; sleep 1; done
psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT pg_is_in_recovery()" | grep -q t
echo "Streaming replica on 127.0.0.1:$PORT"
