/** @module The dashboard's entry point, bundled by `npm run build:ui` into `dist/ui/app.js`. */

import { render } from "preact";
import { App } from "./app.tsx";
import "./style.css";
// uPlot's stylesheet travels in app.css: the live view's script is loaded later, its styles are not.
import "uplot/dist/uPlot.min.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
