/**
 * The bundle runtime (LOCAL_RUNTIME=bundles): each function of the
 * synthesized stack runs from its asset bundle in worker threads of its own,
 * one invocation per instance at a time as on Lambda. An instance starts on
 * the first invocation that finds none idle (a cold start: the bundle's
 * import runs then), keeps its module state between invocations, is killed
 * when an invocation outlives the function's timeout, and has its own
 * process.env: nothing is shared between functions, or with this process.
 */
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { LambdaContext } from '../lambdas/middleware/aws-event';
import type { SynthesizedFunction } from './template';

const WORKER = new URL('./bundle-worker.mjs', import.meta.url);

interface Outcome {
  id: number;
  result?: unknown;
  error?: { name: string; message: string; stack?: string };
}

/** The error an invocation failed with, as Lambda reports it to the caller (API Gateway logs an integration failure). */
export class InvocationError extends Error {
  constructor(name: string, message: string, readonly functionName: string) {
    super(message);
    this.name = name;
  }
}

class Instance {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  private pending?: { id: number; resolve: (o: Outcome) => void; reject: (e: Error) => void };
  dead = false;

  /** `platformStart`: what a cold start adds before and beside the import (the latency model's), waited after it. */
  constructor(fn: SynthesizedFunction, env: Record<string, string>, platformStart?: () => Promise<void>) {
    this.worker = new Worker(WORKER, {
      workerData: { entry: fn.entry, handlerName: fn.handlerName, functionName: fn.logicalId, memoryMb: fn.memoryMb },
      env,
      // The function's memory bounds its JavaScript heap, as Lambda's does.
      resourceLimits: { maxOldGenerationSizeMb: fn.memoryMb },
      stdout: false,
      stderr: false,
    });
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.once('message', () => resolve());
      this.worker.once('error', reject);
    }).then(platformStart);
    this.worker.on('message', (message: Outcome & { ready?: boolean }) => {
      if (message.ready || !this.pending || message.id !== this.pending.id) return;
      const { resolve } = this.pending;
      this.pending = undefined;
      resolve(message);
    });
    const fail = (error: Error) => {
      this.dead = true;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new InvocationError('Runtime.ExitError', `RequestId: exited with code ${code}`, fn.logicalId)));
  }

  run(id: number, message: Record<string, unknown>): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.worker.postMessage({ id, ...message });
    });
  }
}

export class BundleFunction {
  private readonly idle: Instance[] = [];
  private readonly all = new Set<Instance>();
  private nextId = 1;
  coldStarts = 0;

  constructor(
    readonly fn: SynthesizedFunction,
    private readonly environment: () => Record<string, string>,
    private readonly options: {
      /** What a cold start adds beside the import (the latency model's). */
      platformStart?: () => Promise<void>;
      /** The fault mode's kills: ms into an invocation at which its instance is terminated, or undefined (a kill due after the invocation ended does nothing). */
      killAfterMs?: () => number | undefined;
    } = {},
  ) {}

  get instances(): number {
    return this.all.size;
  }

  private take(): Instance {
    for (let instance = this.idle.pop(); instance; instance = this.idle.pop()) if (!instance.dead) return instance;
    const instance = new Instance(this.fn, this.environment(), this.options.platformStart);
    this.all.add(instance);
    this.coldStarts++;
    return instance;
  }

  private discard(instance: Instance) {
    instance.dead = true;
    this.all.delete(instance);
    void instance.worker.terminate();
  }

  /** One invocation with `event`; resolves with the handler's result (its shape is the caller's: route response, HTTP API result). */
  invoke = async (event: unknown, context: LambdaContext = {}): Promise<unknown> => {
    const instance = this.take();
    const timeoutMs = this.fn.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let kill: NodeJS.Timeout | undefined;
    try {
      await instance.ready;
      const killAt = this.options.killAfterMs?.();
      if (killAt !== undefined) kill = setTimeout(() => void instance.worker.terminate(), killAt);
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new InvocationError('Sandbox.Timedout', `Task timed out after ${this.fn.timeoutSeconds.toFixed(2)} seconds`, this.fn.logicalId)), timeoutMs);
      });
      const outcome = await Promise.race([instance.run(this.nextId++, { event, awsRequestId: context.awsRequestId ?? randomUUID(), deadline }), timedOut]);
      if (outcome.error) throw new InvocationError(outcome.error.name, outcome.error.message, this.fn.logicalId);
      this.idle.push(instance);
      return outcome.result;
    } catch (error) {
      // A timed-out or crashed instance is not reused; a handler's own error leaves it usable, as on Lambda.
      if (error instanceof InvocationError && !error.name.startsWith('Runtime.') && error.name !== 'Sandbox.Timedout') this.idle.push(instance);
      else this.discard(instance);
      throw error;
    } finally {
      clearTimeout(timer);
      clearTimeout(kill);
    }
  };

  async close(): Promise<void> {
    await Promise.all([...this.all].map((instance) => instance.worker.terminate()));
    this.all.clear();
    this.idle.length = 0;
  }
}
