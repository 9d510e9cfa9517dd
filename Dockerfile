# The reference peer image, built by `lab up` / `lab image`. The base is the official Node image;
# where no registry answers, lab passes the stand-in from scripts/offline-base-image.sh:
#   --build-arg BASE_IMAGE=p2plab/node-base:22-bookworm
# The bundle dist/peer.cjs comes from `npm run build` (npm ci runs it).
ARG BASE_IMAGE=node:22-bookworm-slim
FROM ${BASE_IMAGE}

# iproute2 and iptables: fault helpers run in the peer's network namespace from this image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 iptables \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin peer

COPY dist/peer.cjs /opt/p2plab/peer.cjs

USER peer
EXPOSE 7000
ENTRYPOINT ["node", "/opt/p2plab/peer.cjs"]
CMD ["--help"]
