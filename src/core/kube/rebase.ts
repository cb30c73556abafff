/**
 * The model of a new snapshot that holds the same rules as the previous one (a live source
 * printing new counts): the services carry over — their chains, endpoints, probabilities and
 * policies follow from the rules alone — and only what points into the ruleset (counters, the
 * rules behind endpoints, entry points and blocking rules) is taken from the new one. At 10k
 * services this is a few tens of milliseconds where deriving the model again takes a second.
 */
import { counterpartChainsSteps } from '../parse/same.js';
import { finishSteps } from '../steps.js';
import { chainRows, ownerChain } from '../parse/rule.js';
import type { Chain, Rule, Ruleset } from '../parse/types.js';
import { buildKubeModel, countsRules, modelFromServices, ModelEndpoint, ModelEntryPoint } from './model.js';
import type { Endpoint, EntryPoint, KubeModel, ServicePort } from './types.js';

/**
 * `model` (built from `from`) as the model of `to`, when both hold the same rules; null when
 * they do not (or the model was not built by buildKubeModel): then build `to`'s model anew.
 * Equal to buildKubeModel(to) either way (tested).
 */
export function rebaseKubeModel(model: KubeModel, from: Ruleset, to: Ruleset): KubeModel | null {
  return finishSteps(rebaseKubeModelSteps(model, from, to, Infinity));
}

/** About as many chains as services (SVC, SEP, …): a slice of services is some CHAINS_PER_SERVICE times as many chains compared. */
const CHAINS_PER_SERVICE = 5;

/**
 * rebaseKubeModel in steps of `slice` services: the generator pauses between them (the live
 * explorer lets keys in there; 10k services are some 50 ms of work at once) and returns what
 * rebaseKubeModel would. The rulesets and the model must not change while it runs (snapshots do not).
 */
export function* rebaseKubeModelSteps(model: KubeModel, from: Ruleset, to: Ruleset, slice: number): Generator<void, KubeModel | null> {
  const counterpart = yield* counterpartChainsSteps(from, to, slice * CHAINS_PER_SERVICE);
  if (counterpart === null) return null;
  const hasCounters = countsRules(to);
  const services: ServicePort[] = new Array<ServicePort>(model.services.length);
  for (let i = 0; i < model.services.length; i++) {
    if (i > 0 && i % slice === 0) yield;
    const s = rebaseService(model.services[i]!, counterpart, hasCounters);
    if (s === null) return null;
    services[i] = s;
  }
  return modelFromServices(services, model.layout);
}

function rebaseService(s: ServicePort, counterpart: ReadonlyMap<Chain, Chain>, hasCounters: boolean): ServicePort | null {
  const endpoints: Endpoint[] = new Array<Endpoint>(s.endpoints.length);
  let packets: number | null = hasCounters ? 0 : null;
  let bytes: number | null = hasCounters ? 0 : null;
  for (let i = 0; i < s.endpoints.length; i++) {
    const old = s.endpoints[i]!;
    const e = old instanceof ModelEndpoint ? old.rebased(counterpart, hasCounters) : null;
    if (e === null) return null;
    endpoints[i] = e;
    if (hasCounters) {
      packets! += e.packets ?? 0;
      bytes! += e.bytes ?? 0;
    }
  }
  const entryPoints: EntryPoint[] = new Array<EntryPoint>(s.entryPoints.length);
  for (let i = 0; i < s.entryPoints.length; i++) {
    const old = s.entryPoints[i]!;
    const e = old instanceof ModelEntryPoint ? old.rebased(counterpart) : null;
    if (e === null) return null;
    entryPoints[i] = e;
  }
  const blockingRules: Rule[] = [];
  for (const r of s.blockingRules) {
    const owner = ownerChain(r);
    const chain = owner === null ? undefined : counterpart.get(owner);
    if (chain === undefined) return null;
    blockingRules.push(chainRows(chain).ruleAt(r.index - 1));
  }
  return { ...s, endpoints, packets, bytes, entryPoints, blockingRules };
}

/** The model of `ruleset`: carried over from the previous snapshot's when the rules are the same, else built. */
export function refreshKubeModel(ruleset: Ruleset, previous: { readonly model: KubeModel; readonly ruleset: Ruleset } | null): KubeModel {
  return finishSteps(refreshKubeModelSteps(ruleset, previous, Infinity));
}

/** refreshKubeModel in steps of `slice` services when the model carries over (see rebaseKubeModelSteps); a model built anew is one step. */
export function* refreshKubeModelSteps(ruleset: Ruleset, previous: { readonly model: KubeModel; readonly ruleset: Ruleset } | null, slice: number): Generator<void, KubeModel> {
  const rebased = previous ? yield* rebaseKubeModelSteps(previous.model, previous.ruleset, ruleset, slice) : null;
  return rebased ?? buildKubeModel(ruleset);
}
