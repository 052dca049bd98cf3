import { describeError } from '../util/errors.js';
import type { RunnerReply, RunnerRequest, RunnerResult } from './runner-protocol.js';

/**
 * The job runner: a fresh process per accuracy job (and for the agent's provider probe), started by
 * the agent in its own process group so that a job past its time limit is killed whole. These open
 * sessions in-process (evaluateModel, exactly as `edgeopt eval` does), so they get a process of
 * their own. Benchmark jobs need none: the harness already measures in fresh children (agent.ts).
 */
async function probeProviders(): Promise<string[]> {
  const { ortNodeRuntime } = await import('../runtime/ort-node.js');
  const { probeModelBytes } = await import('./probe-model.js');
  const bytes = probeModelBytes();
  const loaded: string[] = [];
  for (const name of ortNodeRuntime.supportedProviders()) {
    try {
      const session = await ortNodeRuntime.open(bytes, { providers: [name] });
      if (session.provider === name) loaded.push(name);
      await session.release();
    } catch {
      // does not load here
    }
  }
  return loaded;
}

async function handle(request: RunnerRequest): Promise<RunnerResult> {
  if (request.kind === 'probe') return { kind: 'probe', providers: await probeProviders() };
  const { evaluateModel } = await import('../eval/evaluate.js');
  const r = await evaluateModel(request.modelPath, request.dataDir, { maxImages: request.job.maxImages, reference: request.referencePath });
  return {
    kind: 'eval',
    result: {
      dataset: r.dataset,
      images: r.images,
      map50: r.map50,
      map50_95: r.map50_95,
      precision: r.precision,
      recall: r.recall,
      ...(r.fidelity ? { fidelity: { cosine: r.fidelity.cosine, maxAbsDiff: r.fidelity.maxAbsDiff, detectionAgreement: r.fidelity.detectionAgreement } } : {}),
    },
  };
}

// The agent gone (killed, even by SIGKILL) means nobody will read the result: stop measuring at once,
// so an orphaned job never runs beside the next one on this host.
process.on('disconnect', () => process.exit(130));
process.once('message', (message) => {
  handle(message as RunnerRequest)
    .then((result): RunnerReply => ({ ok: true, result }))
    .catch((err: unknown): RunnerReply => ({ ok: false, error: describeError(err) }))
    .then((reply) => process.send?.(reply, () => process.exit(0)));
});
