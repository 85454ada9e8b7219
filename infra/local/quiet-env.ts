/**
 * Local runs and benchmarks print their own summaries; the handlers' JSON logs and metrics (meant
 * for CloudWatch) and the SDK's Node-version notice would drown them. Handlers build their logger
 * at import, so call this before importing any handler. Errors still show; anything the caller's
 * environment already sets wins.
 */
export function quietLocalEnv(env: NodeJS.ProcessEnv = process.env): void {
  env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  env.POWERTOOLS_DEV ??= 'false';
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
