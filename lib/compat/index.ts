/**
 * The five compatibility APIs: each product's adapter (lib/compat/<product>.ts) lists its
 * endpoints; app/ has one thin route file per endpoint that exports the adapter's handler.
 * Adapters translate a product's requests onto the runs service and stored runs/events back
 * onto the product's shapes — no product logic lives in the engine or the services.
 */
import type { CompatEndpoint } from "./kit/routes";
import { vellumEndpoints } from "./vellum";
import { datalabEndpoints } from "./datalab";
import { unstructuredEndpoints } from "./unstructured";
import { difyEndpoints } from "./dify";
import { promptlayerEndpoints } from "./promptlayer";

export const compatEndpoints: CompatEndpoint[] = [
  ...vellumEndpoints,
  ...datalabEndpoints,
  ...unstructuredEndpoints,
  ...difyEndpoints,
  ...promptlayerEndpoints,
];
