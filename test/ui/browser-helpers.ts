/**
 * @module Helpers of the dashboard browser tests: a repository of two iris bundles (with golden
 * samples, training statistics and metadata), a server over it, and headless Chromium.
 */

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { createBundle } from "../../src/bundle/create-bundle.ts";
import { type Deployment, deploy } from "../../src/deploy.ts";
import { promote } from "../../src/registry/repository.ts";
import { UI_ASSET_DIR } from "../../src/server/routes/ui.ts";
import { silent } from "../helpers.ts";
import { tempDir } from "../lifecycle-helpers.ts";

const example = (p: string) => new URL(`../../examples/iris/${p}`, import.meta.url).pathname;

/** The Chromium the tests drive: Debian's package, or `MODELSERVE_CHROMIUM`. */
export const CHROMIUM = process.env.MODELSERVE_CHROMIUM ?? "/usr/bin/chromium";

/** Golden iris rows and what scikit-learn answered for them (committed with the example). */
export const GOLDEN_INPUTS = example("golden/random_forest.inputs.json");
export const GOLDEN_EXPECTED = example("golden/random_forest.expected.json");

/**
 * A repository holding `iris@1` (the random forest) and `iris@2` (the decision tree), each a bundle
 * with golden samples, statistics from the golden rows and metadata; version 2 is staged.
 */
export async function irisRepository(): Promise<string> {
  const repo = tempDir("ui-repo");
  // Outside the repository (it is not a model), in a folder of its own removed at exit.
  const meta = join(tempDir("ui-meta"), "meta.json");
  writeFileSync(
    meta,
    JSON.stringify({
      metrics: { accuracy: 0.953, f1_macro: 0.951 },
      trainedAt: "2026-11-02",
      author: "ml-team",
    }),
  );
  mkdirSync(join(repo, "iris"), { recursive: true });
  for (const [version, model] of [
    ["1", "random_forest"],
    ["2", "decision_tree"],
  ] as const) {
    await createBundle(example(`models/${model}.joblib`), {
      name: "iris",
      version,
      out: join(repo, "iris", version),
      samples: example(`golden/${model}.inputs.json`),
      expected: example(`golden/${model}.expected.json`),
      referenceData: example(`golden/${model}.inputs.json`),
      metadata: meta,
    });
  }
  await promote(repo, "iris", "2", "staging");
  return repo;
}

/** Serves a repository on 127.0.0.1 with the admin API and quick drift reports. */
export async function serveRepository(
  repo: string,
  extra: Record<string, unknown> = {},
): Promise<Deployment> {
  if (!existsSync(join(UI_ASSET_DIR, "app.js")))
    throw new Error("the dashboard bundle is missing: run npm run build:ui before this test");
  return deploy([], {
    env: {},
    logger: silent,
    host: "127.0.0.1",
    port: 0,
    repository: repo,
    watch: false,
    admin: true,
    driftMinRows: 20,
    driftCheckIntervalMs: 100,
    ...extra,
  });
}

/** A page that records console errors, page errors and CSP violations. */
export interface WatchedPage {
  readonly page: Page;
  readonly problems: string[];
}

/** Launches headless Chromium (bounded: 30 s to start). */
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ["--no-sandbox"],
  });
}

/** Opens a page that records every console error and uncaught exception. */
export async function watchedPage(browser: Browser): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return { page, problems };
}

/** Saves a screenshot into `MODELSERVE_SCREENSHOTS` (a folder) when that variable is set. */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.MODELSERVE_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}
