#!/usr/bin/env bash
# Starts this machine's PostgreSQL and RabbitMQ if they are not running; changes nothing else.
set -euo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
amqp_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }

if ! pg_up; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
fi
if ! amqp_up; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached
fi
for _ in $(seq 1 60); do
  if pg_up && amqp_up; then exit 0; fi
  sleep 1
done
echo "PostgreSQL or RabbitMQ did not come up" >&2
exit 1
