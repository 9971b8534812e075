#!/bin/sh
# redis-entrypoint.sh - the entrypoint of the redis:7 stand-in
# (redis.Dockerfile), as the official image's: a first argument that is an
# option or a .conf file means redis-server; redis-server runs with
# protected mode off (the official build turns it off: without it the
# other containers, which reach Redis over the compose network without a
# password, are refused) and, when started as root, as user redis owning
# /data.
set -e
case "$1" in
-* | *.conf) set -- redis-server "$@" ;;
esac
if [ "$1" = redis-server ]; then
	set -- "$@" --protected-mode no
	if [ "$(id -u)" = 0 ]; then
		find . ! -user redis -exec chown redis:redis '{}' +
		exec setpriv --reuid=redis --regid=redis --init-groups "$@"
	fi
fi
exec "$@"
