/**
 * The process's Prometheus registry. Each component defines its own metrics in its own file,
 * registered here, so `/metrics` shows them all and tests can read values from one place.
 */
import { Registry } from 'prom-client';

export const registry = new Registry();
