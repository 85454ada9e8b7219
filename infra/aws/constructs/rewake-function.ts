import { Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { basename, join } from 'node:path';
import { Construct } from 'constructs';
import { CONFIG_ENV, configOverrides, type RewakeConfig } from '../../../shared/config';
import { LOCK_FILE, REPO_ROOT, handlerEntry, type Stage } from '../paths';

export interface RewakeFunctionProps {
  /** Which `functions/<stage>/handler.ts` to bundle. */
  readonly stage: Stage;
  /** The validated configuration, handed to the handler as JSON in REWAKE_CONFIG. */
  readonly config: RewakeConfig;
  /**
   * Stage-specific environment (the names of the tables it uses, queue URLs, Pinpoint id), merged
   * over the common set. Only what the handler reads through shared/env.ts.
   * @default - only the common set (REWAKE_CONFIG, POWERTOOLS_*, NODE_OPTIONS)
   */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * X-Ray tracing. Off by default: Powertools metrics and JSON logs cover day-to-day operation,
   * and X-Ray's write actions cannot be scoped to a resource.
   * @default Tracing.DISABLED
   */
  readonly tracing?: Tracing;
  /**
   * Pinned rather than "latest" so a CDK upgrade never moves the runtime under a deployed stack.
   * @default Runtime.NODEJS_24_X
   */
  readonly runtime?: Runtime;
  /** @default - none */
  readonly description?: string;
  /** The handler file in functions/<stage>/, for a stage with more than one Lambda. @default 'handler.ts' */
  readonly handlerFile?: string;
  /**
   * Files (repo-relative) copied beside the bundle, for code that reads a file at run time rather
   * than importing it (the report page inlines Chart.js's browser build as text).
   * @default - none
   */
  readonly copyFiles?: string[];
}

/**
 * Lambda bundling and rewake's conventions in one place, so the handlers cannot drift apart:
 * NodejsFunction bundled locally by esbuild (no Docker), ARM, ESM, its own log group with a
 * retention, and a role that can write to that log group and nothing else until a construct grants
 * more.
 */
export class RewakeFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: RewakeFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    });

    // An explicit role instead of the default one, which carries the managed
    // AWSLambdaBasicExecutionRole (logs:* on every log group): this one writes to its own group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `rewake ${props.stage} function`,
    });
    this.logGroup.grantWrite(this.role);

    const tracing = props.tracing ?? Tracing.DISABLED;
    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.stage, props.handlerFile),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: props.runtime ?? Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing,
      environment: {
        // The overrides only: the handler rebuilds the rest from the same defaults (4 KB env limit).
        [CONFIG_ENV]: JSON.stringify(configOverrides(props.config)),
        POWERTOOLS_SERVICE_NAME: 'rewake',
        POWERTOOLS_METRICS_NAMESPACE: 'Rewake',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        // ESM entry points of dependencies first: that is what lets esbuild tree-shake SDK v3.
        mainFields: ['module', 'main'],
        // Some bundled CommonJS dependencies call require() for Node built-ins; ESM has none.
        banner:
          "import { createRequire as __rewakeCreateRequire } from 'node:module'; const require = __rewakeCreateRequire(import.meta.url);",
        minify: true,
        // Minifying renames classes; shared/errors.ts reports errors by class name (ConfigError...).
        keepNames: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // Stack traces need file:line, not the sources themselves; keeps the .map small.
        sourcesContent: false,
        // Message templates carry Chinese text; UTF-8 output is smaller than \u escapes.
        charset: Charset.UTF8,
        // Bundle the SDK v3 clients we pin (package.json) instead of using the runtime's copy:
        // the deployed code then runs exactly the versions the tests ran, and esbuild keeps only the
        // commands we import, so cold starts stay small.
        bundleAwsSDK: true,
        externalModules: [],
        forceDockerBundling: false,
        commandHooks: props.copyFiles?.length
          ? {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (inputDir: string, outputDir: string) =>
                props.copyFiles!.map((file) => `cp "${join(inputDir, file)}" "${join(outputDir, basename(file))}"`),
            }
          : undefined,
      },
    });

    if (tracing !== Tracing.DISABLED) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
      });
    }
  }
}
