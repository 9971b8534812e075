# redis.Dockerfile - a stand-in for the official redis:7 image where no
# registry can be reached (deploy/images-airgap.sh builds it): FROM the
# debian:12-slim made from the Debian mirror, Debian's redis-server 7.0, the
# official image's layout (/data volume, port 6379, redis-server by default)
# and an entrypoint that, like the official one, runs as user redis with
# protected mode off.
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends redis-server redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
COPY redis-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /data
WORKDIR /data
EXPOSE 6379
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["redis-server"]
