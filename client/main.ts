/**
 * The `mlops` CLI. `npm run mlops -- <command>` (or `npx tsx client/main.ts <command>`).
 * Wrong arguments print usage and exit 2; failures print one message and exit 1.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { SpecValidationError } from '../lib/spec/errors.js';
import { UsageError } from './errors.js';

const program = new Command('mlops')
  .description(
    'The ML lifecycle as durable Temporal workflows: validate, train, evaluate, register, deploy, monitor, retrain.',
  )
  .showHelpAfterError('(run `mlops help <command>` for usage)')
  .exitOverride();

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number between 0 and 1');
  return n;
}

program
  .command('dev')
  .description(
    'start the embedded stack: Temporal dev server (UI :8233), embedded PostgreSQL, file artifacts, workers, serving',
  )
  .option('--no-gpu-worker', 'do not start the dev-mode GPU worker (training for gpu specs then falls back to CPU)')
  .action(async (opts: { gpuWorker: boolean }) => {
    const { runDevStackUntilSignalled } = await import('./dev-stack.js');
    await runDevStackUntilSignalled({ gpuWorker: opts.gpuWorker });
  });

program
  .command('demo')
  .description('run the whole loop on the embedded stack: train v1, serve, drift, retrain v2, schedule')
  .option('--keep-running', 'keep the stack running afterwards for inspection in the Web UI')
  .option('--spec <file>', 'pipeline spec', 'examples/churn/pipeline.yaml')
  .action(async (opts: { keepRunning?: boolean; spec: string }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({ keepRunning: opts.keepRunning ?? false, specPath: opts.spec });
  });

program
  .command('run')
  .description("validate the spec and run the training pipeline now (through the model's retraining controller)")
  .argument('<spec>', 'pipeline spec YAML file')
  .option('--wait', 'follow the pipeline stage by stage until it finishes')
  .option('--reason <text>', 'why this run', 'manual run from the CLI')
  .action(async (specPath: string, opts: { wait?: boolean; reason: string }) => {
    const { runCommand } = await import('./commands/cli-actions.js');
    await runCommand(specPath, { wait: opts.wait ?? false, reason: opts.reason });
  });

program
  .command('retrain')
  .description("ask a model's controller to retrain now")
  .argument('<model>', 'model name')
  .requiredOption('--reason <text>', 'why (recorded with the run)')
  .option('--wait', 'follow the pipeline until it finishes')
  .action(async (model: string, opts: { reason: string; wait?: boolean }) => {
    const { retrainCommand } = await import('./commands/cli-actions.js');
    await retrainCommand(model, { reason: opts.reason, wait: opts.wait ?? false });
  });

program
  .command('new-data')
  .description("tell a model's controller that a new dataset has landed (it retrains on it)")
  .argument('<model>', 'model name')
  .requiredOption('--dataset <uri>', 'file:// or s3:// URI of the new dataset')
  .action(async (model: string, opts: { dataset: string }) => {
    if (!/^(file|s3):\/\/.+/.test(opts.dataset))
      throw new UsageError(`--dataset: expected a file:// or s3:// URI, found "${opts.dataset}"`);
    const { newDataCommand } = await import('./commands/cli-actions.js');
    await newDataCommand(model, opts.dataset);
  });

program
  .command('status')
  .description('controller, monitor and registry status of a model')
  .argument('<model>', 'model name')
  .action(async (model: string) => {
    const { statusCommand } = await import('./commands/cli-actions.js');
    await statusCommand(model);
  });

const models = program.command('models').description('the model registry');
models
  .command('list')
  .description('all models with their latest and champion versions')
  .action(async () => {
    const { modelsListCommand } = await import('./commands/models.js');
    await modelsListCommand();
  });
models
  .command('show')
  .description('versions of a model, or one version (<model>@<version>) with lineage and metrics')
  .argument('<model>', 'model or model@version')
  .action(async (ref: string) => {
    const { modelsShowCommand } = await import('./commands/models.js');
    await modelsShowCommand(ref);
  });

models
  .command('promote')
  .description('deploy a registered version (audited through a workflow visible in the Web UI)')
  .argument('<ref>', '<model>@<version>')
  .requiredOption('--reason <text>', 'why (recorded with the deployment)')
  .action(async (ref: string, opts: { reason: string }) => {
    const { modelsPromoteCommand } = await import('./commands/promotion.js');
    await modelsPromoteCommand(ref, opts.reason);
  });
models
  .command('rollback')
  .description('deploy the previously deployed version again (or --to a given one), through a workflow')
  .argument('<model>', 'model name')
  .option('--to <version>', 'version to roll back to', positiveInt)
  .requiredOption('--reason <text>', 'why (recorded with the deployment)')
  .action(async (model: string, opts: { to?: number; reason: string }) => {
    const { modelsRollbackCommand } = await import('./commands/promotion.js');
    await modelsRollbackCommand(model, opts.to, opts.reason);
  });
models
  .command('diff')
  .description('compare the metrics and lineage of two versions')
  .argument('<a>', '<model>@<version>')
  .argument('<b>', '<model>@<version>')
  .action(async (a: string, b: string) => {
    const { modelsDiffCommand } = await import('./commands/models.js');
    await modelsDiffCommand(a, b);
  });

program
  .command('lineage')
  .description('the chain of versions behind one: data, spec, code, trainer, decision')
  .argument('<ref>', '<model>@<version>')
  .action(async (ref: string) => {
    const { lineageCommand } = await import('./commands/models.js');
    await lineageCommand(ref);
  });

program
  .command('reproduce')
  .description(
    'retrain a registered version from its recorded lineage (same data, spec, seed) and check the ONNX sha256 matches',
  )
  .argument('<ref>', '<model>@<version>')
  .option('--wait', 'wait for the outcome: exit 0 on match, 1 on mismatch or failure')
  .action(async (ref: string, opts: { wait?: boolean }) => {
    const { reproduceCommand } = await import('./commands/reproduce.js');
    await reproduceCommand(ref, { wait: opts.wait ?? false });
  });

for (const [action, description] of [
  ['approve', 'approve the candidate of a pipeline awaiting approval (deployment.approval): it is then deployed'],
  ['reject', 'reject the candidate of a pipeline awaiting approval: it is not deployed, the run ends rejected'],
] as const) {
  program
    .command(action)
    .description(description)
    .argument('<target>', 'pipeline workflow ID, or a model name (its one pipeline awaiting approval)')
    .requiredOption('--by <name>', 'who decides (recorded in the registry and the version lineage)')
    .requiredOption('--reason <text>', 'why (recorded)')
    .action(async (target: string, opts: { by: string; reason: string }) => {
      const { approvalCommand } = await import('./commands/approval.js');
      await approvalCommand(action, target, opts);
    });
}

const schedule = program.command('schedule').description('Temporal Schedules for periodic retraining');
schedule
  .command('create')
  .description("create schedule-<model> from a spec (cadence from --cron/--every or the spec's schedule section)")
  .argument('<spec>', 'pipeline spec YAML file')
  .option('--cron <expr>', 'cron expression, e.g. "0 3 * * 0"')
  .option('--every <duration>', 'interval, e.g. 24h')
  .addOption(
    new Option('--overlap <policy>', 'overlap policy')
      .choices(['skip', 'buffer_one', 'buffer_all', 'cancel_other', 'terminate_other', 'allow_all'])
      .default('skip'),
  )
  .option('--catchup-window <duration>', 'how far back missed runs are caught up, e.g. 10m', '1h')
  .option('--pause-on-failure', 'pause the schedule after a failed run (the default)')
  .option('--no-pause-on-failure', 'keep the schedule running after a failed run')
  .option('--paused', 'create it paused')
  .action(async (specPath: string, opts: Record<string, unknown>) => {
    const { scheduleCreateCommand } = await import('./commands/cli-actions.js');
    await scheduleCreateCommand(specPath, opts);
  });
for (const [name, description] of [
  ['describe', 'show cadence, policies, recent and next runs'],
  ['pause', 'pause the schedule'],
  ['unpause', 'resume the schedule'],
  ['trigger', "run the schedule's action now"],
  ['delete', 'delete the schedule'],
] as const) {
  schedule
    .command(name)
    .description(description)
    .argument('<model>', 'model name')
    .option('--note <text>', 'note recorded with pause/unpause')
    .action(async (model: string, opts: { note?: string }) => {
      const { scheduleActionCommand } = await import('./commands/cli-actions.js');
      await scheduleActionCommand(name, model, opts.note);
    });
}
schedule
  .command('list')
  .description('list retraining schedules')
  .action(async () => {
    const { scheduleListCommand } = await import('./commands/cli-actions.js');
    await scheduleListCommand();
  });
schedule
  .command('backfill')
  .description("run the schedule's actions for a past time range")
  .argument('<model>', 'model name')
  .requiredOption('--start <iso>', 'range start (ISO time)')
  .requiredOption('--end <iso>', 'range end (ISO time)')
  .addOption(
    new Option('--overlap <policy>', 'overlap policy for the backfill')
      .choices(['skip', 'buffer_one', 'buffer_all', 'allow_all'])
      .default('buffer_all'),
  )
  .action(async (model: string, opts: { start: string; end: string; overlap: string }) => {
    const { scheduleBackfillCommand } = await import('./commands/cli-actions.js');
    await scheduleBackfillCommand(model, opts);
  });

const data = program.command('data').description('example data');
data
  .command('generate')
  .description('write the seeded churn example dataset (optionally drifted)')
  .requiredOption('--out <path>', 'CSV file to write')
  .option('--rows <n>', 'rows', positiveInt, 5000)
  .option('--seed <n>', 'seed', positiveInt, 42)
  .option('--drift <fraction>', 'drift strength 0..1', fraction, 0)
  .action(async (opts: { out: string; rows: number; seed: number; drift: number }) => {
    const { dataGenerateCommand } = await import('./commands/cli-actions.js');
    await dataGenerateCommand(opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 2;
  } else if (err instanceof UsageError) {
    console.error(`mlops: ${err.message}`);
    process.exitCode = err.exitCode;
  } else if (err instanceof SpecValidationError) {
    console.error(`mlops: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(`mlops: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}
