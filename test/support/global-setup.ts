/**
 * Before any test file: with LOCAL_RUNTIME=bundles, synthesize the stack once
 * (when cdk.out is stale), so the test stacks that run its bundles start in
 * seconds instead of each waiting on a synth.
 */
import { ensureSynth } from '../../local/synth';

export default async function setup(): Promise<void> {
  if (process.env.LOCAL_RUNTIME !== 'bundles') return;
  await ensureSynth(process.env.ROUTING === 'dispatcher' ? { context: { routing: 'dispatcher' } } : {});
}
