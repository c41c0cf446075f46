/** @module The dashboard's entry point, bundled by `npm run build:ui` into `dist/ui/app.js`. */

// First: it sends the models request before the other modules are evaluated.
import "./early.ts";
import { render } from "preact";
import { App } from "./app.tsx";
import "./style.css";
// uPlot's stylesheet, for the live view's charts.
import "uplot/dist/uPlot.min.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
