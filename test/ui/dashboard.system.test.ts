/**
 * Browser tests of the dashboard: headless Chromium (Debian's package) against a real server on
 * 127.0.0.1 serving a repository of two iris bundles. Every test is bounded in time.
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { Deployment } from "../../src/deploy.ts";
import {
  GOLDEN_EXPECTED,
  GOLDEN_INPUTS,
  irisRepository,
  launch,
  screenshot,
  serveRepository,
  watchedPage,
} from "./browser-helpers.ts";

const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"] as const;

/** Chromium reports every non-2xx fetch as a console error; the ones a test provokes are expected. */
const unexpected = (problems: readonly string[], statuses: readonly number[]) =>
  problems.filter(
    (p) =>
      !statuses.some((s) =>
        p.includes(`Failed to load resource: the server responded with a status of ${s}`),
      ),
  );

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function fill(page: Page, row: Record<string, unknown>) {
  for (const [k, v] of Object.entries(row)) await page.fill(`#f-${k}`, String(v));
}

describe("dashboard in headless Chromium", { timeout: 180_000 }, () => {
  let server: Deployment;
  let browser: Browser;
  let repo: string;

  before(async () => {
    repo = await irisRepository();
    server = await serveRepository(repo, { shadow: "iris=1" });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("loads without console errors and lists versions with state, stage, format, library and golden check", async () => {
    const { page, problems } = await watchedPage(browser);
    const res = await page.goto(`${server.url}/ui`);
    assert.equal(res?.status(), 200);
    assert.match(res?.headers()["content-security-policy"] ?? "", /script-src 'self'/);
    const model = page.locator('section.model[data-model="iris"]');
    await model.waitFor();
    const v1 = model.locator('tr[data-version="1"]');
    const v2 = model.locator('tr[data-version="2"]');
    assert.match(await v1.innerText(), /ready/);
    assert.match(await v1.innerText(), /scikit-learn 1\.2\.1/);
    assert.match(await v1.innerText(), /RandomForestClassifier/);
    // The golden check the server ran at load: every compared output matched.
    const listed = (await (await fetch(`${server.url}/models/iris`)).json()) as {
      versions: { version: string; meta: { bundle: { golden: { compared: number; differing: number } } } }[];
    };
    const golden = listed.versions.find((v) => v.version === "1")!.meta.bundle.golden;
    assert.equal(golden.differing, 0);
    assert.ok(golden.compared >= 30);
    assert.match(await v1.innerText(), new RegExp(`✓ ${golden.compared} match`));
    assert.match(await v2.innerText(), /staging/);
    assert.match(await v2.innerText(), /DecisionTreeClassifier/);
    // The newest version is the default until someone says otherwise.
    assert.equal(await model.getByTestId("default-version").innerText(), "default 2");
    await screenshot(page, "dashboard-models");
    // The models list is asked for while the script is evaluated (module scripts run before
    // DOMContentLoaded), not after the first paint, and only once.
    const timing = await page.evaluate<{ models: number[]; dcl: number }>(`(() => ({
      models: performance.getEntriesByType("resource")
        .filter((r) => new URL(r.name).pathname === "/models").map((r) => r.startTime),
      dcl: performance.getEntriesByType("navigation")[0].domContentLoadedEventStart,
    }))()`);
    assert.equal(timing.models.length, 1, JSON.stringify(timing));
    assert.ok(timing.models[0]! < timing.dcl, JSON.stringify(timing));
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("shows the model card with features, training statistics, classes and metadata", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/ui#/models/iris/1`);
    const card = page.locator('.card[data-model="iris"][data-version="1"]');
    await card.waitFor();
    const text = await card.innerText();
    for (const f of FEATURES) assert.ok(text.includes(f), f);
    for (const c of ["setosa", "versicolor", "virginica"]) assert.ok(text.includes(c), c);
    assert.match(text, /accuracy\s+0\.953/);
    assert.match(text, /ml-team/);
    // Ten training bins per numeric feature, from the bundle's statistics.
    assert.equal(await card.locator(".features .histogram").count(), FEATURES.length + 0);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("prefills a realistic row, submits it and shows the model's real answer with probability bars", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/ui#/models/iris/1`);
    await page.locator("#f-petal_length").waitFor();
    // The example is the training mean of each feature (from the bundle), not zeros.
    const inputs = JSON.parse(readFileSync(GOLDEN_INPUTS, "utf8")) as Record<string, number>[];
    const mean = (f: string) => inputs.reduce((a, r) => a + r[f], 0) / inputs.length;
    for (const f of FEATURES)
      assert.equal(Number(await page.inputValue(`#f-${f}`)), Number(mean(f).toPrecision(3)), f);

    // A golden row: the answer must be what scikit-learn answered when the model was trained.
    const expected = (JSON.parse(readFileSync(GOLDEN_EXPECTED, "utf8")) as { predict: string[] }).predict;
    for (const i of [0, 1, 6]) {
      await fill(page, inputs[i]);
      await page.click('button[type="submit"]');
      await page.getByTestId("prediction").filter({ hasText: expected[i] }).waitFor();
      const server_ = await post(`${server.url}/models/iris/versions/1/predict`, inputs[i]);
      assert.equal(server_.body.prediction, expected[i]);
      const bars = page.locator('[data-chart="probabilities"] .bar-row');
      assert.equal(await bars.count(), 3);
      const shown = await page
        .locator('[data-chart="probabilities"] .bar-row.predicted .bar-label')
        .innerText();
      assert.equal(shown, expected[i]);
      // Each bar's percentage is the server's probability, rounded to three digits.
      const probs = server_.body.probabilities as Record<string, number>;
      for (const row of await bars.all()) {
        const [cls, pctText] = [
          await row.locator(".bar-label").innerText(),
          await row.locator(".bar-value").innerText(),
        ];
        assert.equal(pctText, `${Number((probs[cls] * 100).toPrecision(3))} %`, cls);
      }
    }
    // The server explains tree models: the waterfall of the last row ends where the server's
    // base value plus contributions of the predicted class end (the model's probability).
    const last = inputs[6];
    const ex = (await post(`${server.url}/models/iris/versions/1/explain`, last)).body as {
      base_value: Record<string, number>;
      contributions: Record<string, Record<string, number>>;
    };
    const cls = expected[6];
    const total = ex.base_value[cls] + Object.values(ex.contributions[cls]).reduce((a, b) => a + b, 0);
    const wf = page.locator('[data-chart="waterfall"]');
    await wf.waitFor();
    assert.equal(
      await wf.locator(".wf-row.total .bar-value").innerText(),
      String(Number(total.toPrecision(3))),
    );
    assert.equal(await wf.locator(".wf-row").count(), 2 + FEATURES.length);
    await screenshot(page, "dashboard-try-it");
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("draws the contributions waterfall when the server answers /explain (per-class shape)", async () => {
    const { page, problems } = await watchedPage(browser);
    // This server has no explanation route; the answer's documented shape is served in its place, so
    // what is checked is the drawing: order by size, signs, base value and the sum.
    const contributions = { petal_length: 0.5, petal_width: 0.25, sepal_length: -0.05, sepal_width: 0 };
    await page.route("**/models/iris/versions/1/explain", (route) =>
      route.fulfill({
        contentType: "application/json",
        body: JSON.stringify({
          model: "iris",
          version: "1",
          prediction: "virginica",
          output_space: "probability",
          base_value: { setosa: 0.33, versicolor: 0.33, virginica: 0.2 },
          contributions: { setosa: contributions, versicolor: contributions, virginica: contributions },
        }),
      }),
    );
    await page.goto(`${server.url}/ui#/models/iris/1`);
    await page.locator("#f-petal_length").waitFor();
    await fill(page, { sepal_length: 6.5, sepal_width: 3, petal_length: 5.2, petal_width: 2 });
    await page.click('button[type="submit"]');
    const wf = page.locator('[data-chart="waterfall"]');
    await wf.waitFor();
    const labels = await wf.locator(".wf-row .bar-label").allInnerTexts();
    assert.deepEqual(labels, [
      "base value",
      "petal_length",
      "petal_width",
      "sepal_length",
      "sepal_width",
      "output",
    ]);
    const values = await wf.locator(".wf-row .bar-value").allInnerTexts();
    assert.deepEqual(values, ["0.2", "+0.5", "+0.25", "−0.05", "+0", "0.9"]);
    assert.equal(await wf.locator(".wf-step.up").count(), 3);
    assert.equal(await wf.locator(".wf-step.down").count(), 1);
    await screenshot(page, "dashboard-waterfall");
    assert.deepEqual(problems, []);
    await page.close();
  });

  it("shows the server's validation message on the field it names", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/ui#/models/iris/1`);
    await page.locator("#f-sepal_width").waitFor();
    await page.fill("#f-sepal_width", "wide");
    await page.click('button[type="submit"]');
    const err = page.locator('[data-field="sepal_width"] .field-error');
    await err.waitFor();
    const row = { sepal_length: 5.1, sepal_width: "wide", petal_length: 1.4, petal_width: 0.2 };
    for (const f of ["sepal_length", "petal_length", "petal_width"] as const)
      row[f] = Number(await page.inputValue(`#f-${f}`));
    const res = await post(`${server.url}/models/iris/versions/1/predict`, row);
    assert.equal(res.status, 422);
    const issues = (res.body.error as { details: { issues: { field: string; message: string }[] } }).details
      .issues;
    assert.equal(issues.length, 1);
    assert.equal(issues[0].field, "sepal_width");
    assert.equal(await err.innerText(), issues[0].message);
    assert.equal(await page.getAttribute("#f-sepal_width", "aria-invalid"), "true");
    // Other fields carry no error, and no answer is shown.
    assert.equal(await page.locator(".field-error").count(), 1);
    assert.equal(await page.getByTestId("prediction").count(), 0);
    await screenshot(page, "dashboard-validation");
    assert.deepEqual(unexpected(problems, [422]), []);
    await page.close();
  });

  it("draws the live charts after traffic: rate, latency, errors by code, distribution, drift, shadow", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/ui#/live`);
    await page.locator(".kpis").waitFor();
    const inputs = JSON.parse(readFileSync(GOLDEN_INPUTS, "utf8")) as Record<string, number>[];
    // Traffic across at least two polls (every 2 s): 240 good rows to the default, a few bad ones.
    const deadline = Date.now() + 4500;
    let sent = 0;
    while (Date.now() < deadline) {
      const batch = [];
      for (let i = 0; i < 20; i++)
        batch.push(post(`${server.url}/models/iris/predict`, inputs[(sent + i) % 30]));
      batch.push(post(`${server.url}/models/iris/predict`, { sepal_length: "x" }));
      await Promise.all(batch);
      sent += 20;
      await new Promise((r) => setTimeout(r, 150));
    }
    // The next poll shows a positive prediction rate.
    await page.waitForFunction(
      `(() => { const t = document.querySelector('[data-kpi="rate"]')?.textContent ?? "–"; return t !== "–" && Number.parseFloat(t) > 0; })()`,
      undefined,
      { timeout: 10_000 },
    );
    // Canvases hold drawn series: count pixels of the first series colour in the rate chart.
    const drawn = await page.evaluate<number>(`(() => {
      const canvas = document.querySelector('[data-chart="Requests per second"] canvas');
      if (!canvas) return -1;
      const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      // #2563eb, the first series colour, give or take antialiasing.
      for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 1] > 80 && d[i + 1] < 130 && d[i + 2] > 200) n++;
      return n;
    })()`);
    assert.ok(drawn > 20, `blue pixels of the prediction-rate line: ${drawn}`);
    assert.equal((await page.locator('[data-chart="Errors per second by code"] canvas').count()) > 0, true);
    assert.match(
      await page.locator('[data-chart="Errors per second by code"]').innerText(),
      /MS_INVALID_INPUT/,
    );
    assert.ok((await page.locator('[data-chart^="Latency of iris@2"] canvas').count()) > 0);
    // The prediction distribution: shares of setosa, versicolor, virginica that sum to the requests.
    const dist = await page.locator('[data-chart="prediction distribution"] .bar-row').count();
    assert.equal(dist, 3);
    // Drift: the bundle's statistics against the live window of the default version (golden rows).
    const driftRow = page
      .getByTestId("drift")
      .locator("tr")
      .filter({ hasText: "iris@2" })
      .filter({ hasText: "petal_length" });
    await driftRow.waitFor();
    // PSI is reported once the window holds enough rows (20 here): at most a poll or two later.
    let psiText = "–";
    for (const stop = Date.now() + 8000; Date.now() < stop; await new Promise((r) => setTimeout(r, 250))) {
      psiText = await driftRow.locator("td.n").first().innerText();
      if (psiText !== "–") break;
    }
    assert.match(psiText, /^(< 0\.001|\d+\.\d{3})$/, `PSI shown: ${psiText}`);
    assert.match(await driftRow.innerText(), /stable|drifting/);
    // Shadow: version 1 mirrors the default's traffic; its disagreement is a percentage.
    assert.match(
      await page.locator("section", { hasText: "Shadow traffic" }).innerText(),
      /iris\s+1\s+\d+\s+[\d.]+ %/,
    );
    await screenshot(page, "dashboard-live");
    assert.deepEqual(unexpected(problems, [422]), []);
    await page.close();
  });

  it("switches the default version through the admin API after confirmation, and shows it", async () => {
    const { page, problems } = await watchedPage(browser);
    await page.goto(`${server.url}/ui#/`);
    const model = page.locator('section.model[data-model="iris"]');
    await model.getByTestId("default-version").waitFor();
    assert.equal(await model.getByTestId("default-version").innerText(), "default 2");
    await model.locator('tr[data-version="1"] [data-action="set-default"]').click();
    // Nothing changes before confirmation.
    await page.locator('[role="alertdialog"]').waitFor();
    assert.match(
      await page.locator('[role="alertdialog"]').innerText(),
      /Make version 1 the default of iris/,
    );
    assert.equal(
      ((await (await fetch(`${server.url}/models/iris`)).json()) as { defaultVersion: string })
        .defaultVersion,
      "2",
    );
    await screenshot(page, "dashboard-admin-confirm");
    await page.click('[data-action="confirm"]');
    await model.getByTestId("default-version").filter({ hasText: "default 1" }).waitFor();
    const after = (await (await fetch(`${server.url}/models/iris`)).json()) as { defaultVersion: string };
    assert.equal(after.defaultVersion, "1");
    assert.match(await model.locator('tr[data-version="1"]').innerText(), /default/);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

describe("dashboard with API keys", { timeout: 120_000 }, () => {
  const READ = "reader-0123456789abcdef0123456789abcdef";
  const ADMIN = "operator-fedcba9876543210fedcba9876543210";
  let server: Deployment;
  let browser: Browser;

  before(async () => {
    const repo = await irisRepository();
    server = await serveRepository(repo, {
      apiKeys: `reader:${READ}:read+predict,ops:${ADMIN}:read+predict+admin`,
    });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("serves the page without a key, asks for one on 401, then works with it (admin only with the scope)", async () => {
    const { page, problems } = await watchedPage(browser);
    // The data needs a key; the page itself does not.
    assert.equal((await fetch(`${server.url}/models`)).status, 401);
    await page.goto(`${server.url}/ui`);
    const prompt = page.locator('form[aria-label="API key"]');
    await prompt.waitFor();
    await screenshot(page, "dashboard-api-key");
    await page.fill('input[name="api-key"]', "wrong-key-000000000000000000000000");
    await page.click('form[aria-label="API key"] button[type="submit"]');
    await page.locator('form[aria-label="API key"] [role="alert"]').waitFor();

    await page.fill('input[name="api-key"]', READ);
    await page.click('form[aria-label="API key"] button[type="submit"]');
    const model = page.locator('section.model[data-model="iris"]');
    await model.waitFor();
    // A read key: no admin actions.
    assert.equal(await page.locator('[data-action="set-default"]').count(), 0);
    // The key never appears in the URL; it lives in this tab's session storage.
    assert.ok(!page.url().includes(READ));
    assert.equal(await page.evaluate(() => sessionStorage.getItem("modelserve.apiKey")), READ);

    // Try-it works with the key.
    await page.goto(`${server.url}/ui#/models/iris`);
    await page.locator("#f-petal_length").waitFor();
    await page.click('button[type="submit"]');
    await page.getByTestId("prediction").waitFor();

    // An admin key shows the actions.
    await page.click("header.top button.link");
    await prompt.waitFor();
    await page.fill('input[name="api-key"]', ADMIN);
    await page.click('form[aria-label="API key"] button[type="submit"]');
    await page.goto(`${server.url}/ui#/`);
    await page.locator('[data-action="set-default"]').first().waitFor();
    assert.ok(!page.url().includes(ADMIN));
    // Expected: the 401s before a key, the 403 of the admin check with the read key, no explain route.
    assert.deepEqual(unexpected(problems, [401, 403, 404]), []);
    await page.close();
  });
});
