// The functions' one third-party dependency, pinned once. An inline npm: specifier keeps each
// function deployable as is (no import map); the Edge Runtime fetches it from the npm registry.
export { z } from 'npm:zod@4.6.7';
