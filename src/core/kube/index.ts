export * from './types.js';
export { serviceType, type ServiceType } from './service-type.js';
export * from './names.js';
export { buildKubeModel, serviceChainRole, hostAddress } from './model.js';
export { findServices, parseAddressQuery } from './find.js';
export { serviceIdFromComment, entryComment, splitServiceId, looksLikeServiceId } from './comments.js';
export { rebaseKubeModel, rebaseKubeModelSteps, refreshKubeModel, refreshKubeModelSteps } from './rebase.js';
