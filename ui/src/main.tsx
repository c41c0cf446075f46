/** @module The dashboard's entry point, bundled by `npm run build:ui` into `dist/ui/app.js`. */

import { render } from "preact";
import { App } from "./app.tsx";
import "./style.css";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
