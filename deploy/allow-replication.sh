#!/bin/sh
# Run once by the postgres image when the primary's data directory is first made: let the
# optional `db-replica` service (docker compose --profile replica) stream from it.
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
