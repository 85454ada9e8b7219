#!/usr/bin/env node
/**
 * The CDK app (`cdk synth`, `cdk deploy`; cdk.json runs it with tsx).
 *
 * Config: the file named by `-c rewakeConfig=<file>` (or REWAKE_CONFIG_FILE), else rewake.config.json
 * when it exists, else the defaults. Other context:
 *   -c apiGatewayCloudWatchRole=false   the account's API Gateway settings already name a logs role
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/errors';
import { defineRewakeApp } from '../infra/aws/app';
import { CONFIG_CONTEXT_KEY, loadConfig } from '../infra/aws/load-config';

const app = new App();

try {
  const { config, source } = loadConfig({ contextValue: app.node.tryGetContext(CONFIG_CONTEXT_KEY) });
  console.error(`rewake: configuration from ${source}`);
  const cloudWatchRole = app.node.tryGetContext('apiGatewayCloudWatchRole');
  defineRewakeApp(app, config, {
    apiGatewayCloudWatchRole: cloudWatchRole === undefined ? true : cloudWatchRole !== false && cloudWatchRole !== 'false',
  });
} catch (error) {
  // A bad config is the operator's to fix: show the message naming the field, not a stack trace.
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
