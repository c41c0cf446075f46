/**
 * @module Asks for the first screen's data before anything else runs: imported first by `main.tsx`,
 * so its request leaves while the rest of the bundle is evaluated and the first render is built, not
 * after the first paint (when effects run).
 */

import { prefetch } from "./api.ts";

prefetch("/models");
