/** The last resort of `which`: fuse.js over service ids when no exact form matched. */
import Fuse from 'fuse.js';
import type { KubeModel, ServicePort } from '../core/kube/index.js';

const MAX_FUZZY = 5;

export function fuzzyServices(model: KubeModel, query: string): ServicePort[] {
  const fuse = new Fuse(model.services as ServicePort[], {
    keys: ['id'],
    threshold: 0.4,
    ignoreLocation: true,
  });
  return fuse.search(query, { limit: MAX_FUZZY }).map((r) => r.item);
}
