# The batch-iam-drift CLI as a container image: built from this checkout's npm package (npm pack),
# installed with no dependency on a slim Node.js 22 image, run as the unprivileged "node" user.
#   docker build -t batch-iam-drift .
#   docker run --rm -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY -e AWS_SESSION_TOKEN \
#     batch-iam-drift audit --regions us-east-1 --fail-on high
FROM node:22-slim AS package
WORKDIR /src
COPY package.json package-lock.json ./
# Install scripts stay off: the build below is the only script that runs.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /tmp && mv /tmp/batch-iam-drift-*.tgz /tmp/batch-iam-drift.tgz

FROM node:22-slim
COPY --from=package /tmp/batch-iam-drift.tgz /tmp/batch-iam-drift.tgz
RUN npm install --global --no-audit --no-fund /tmp/batch-iam-drift.tgz && rm /tmp/batch-iam-drift.tgz \
  && npm cache clean --force
USER node
WORKDIR /home/node
ENTRYPOINT ["batch-iam-drift"]
CMD ["--help"]
