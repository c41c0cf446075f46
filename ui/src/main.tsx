/** @module The dashboard's entry point, bundled by `npm run build:ui` into `dist/ui/app.js`. */

import { render } from "preact";
import { prefetch } from "./api.ts";
import { App } from "./app.tsx";
import "./style.css";
// uPlot's stylesheet, for the live view's charts.
import "uplot/dist/uPlot.min.css";

// The models list is the first screen's data: ask for it before building the page, not after its
// first paint (when effects run).
prefetch("/models");
const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
