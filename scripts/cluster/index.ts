export { startCluster, ensureDatabase, type Cluster, type ClusterOptions } from './cluster.ts';
export { createNodeProcess, REPO_ROOT, type NodeProcess, type NodeProcessOptions } from './node-process.ts';
export {
  findNginx,
  markedBlock,
  NGINX_CONF,
  renderNginxConf,
  RENDERED_BLOCKS,
  serverParameters,
  startNginx,
  type NginxOptions,
  type NginxProcess,
  type RenderOptions,
  type Upstream,
} from './nginx.ts';
export { DeliveryChecker, formatReport, type ClientReport, type DeliveredEvent, type DeliveryReport, type SentMessage } from './delivery-checker.ts';
export { freePort } from './process-util.ts';
export { startLocalS3, S3_BUCKET, type LocalS3 } from './s3.ts';
