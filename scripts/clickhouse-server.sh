#!/usr/bin/env bash
# Start (or stop) a throwaway ClickHouse server on 127.0.0.1 for the server-marked tests.
#   scripts/clickhouse-server.sh start DIR [TCP_PORT]   -> prints nothing, waits until it answers
#   scripts/clickhouse-server.sh stop DIR
# Installs Debian's clickhouse-server with apt-get when it is missing (needs root).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data directory}; port=${3:-19000}
http_port=$((port + 1))
case "$cmd" in
start)
  if ! command -v clickhouse-server >/dev/null 2>&1; then
    echo "installing clickhouse-server from Debian (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq clickhouse-server >/dev/null
  fi
  mkdir -p "$dir"/{data,tmp,user_files,format_schemas,log}
  dir=$(cd "$dir" && pwd)
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/log/server.log</log><errorlog>$dir/log/server.err.log</errorlog><size>100M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$port</tcp_port>
  <http_port>$http_port</http_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>536870912</mark_cache_size>
  <timezone>UTC</timezone>
</yandex>
XML
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
  nohup clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 120); do
    if (exec 3<>/dev/tcp/127.0.0.1/"$http_port") 2>/dev/null; then
      if exec 3<>/dev/tcp/127.0.0.1/"$http_port" && printf 'GET /ping HTTP/1.0\r\n\r\n' >&3 && grep -q Ok <&3; then exit 0; fi
    fi
    sleep 0.5
  done
  echo "clickhouse-server did not start; log:" >&2; tail -20 "$dir/log/"*.log >&2; exit 1
  ;;
stop)
  if [ -f "$dir/pid" ]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; rm -f "$dir/pid"; fi
  ;;
esac
