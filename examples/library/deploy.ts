import { deploy } from "modelserve";
import pino from "pino";

// Quiet by default; pass any pino-compatible logger to see request lines.
const service = await deploy("examples/iris/models/random_forest.joblib", {
  port: 0,
  logger: pino({ level: "warn" }),
});

const res = await fetch(`${service.url}/predict/batch`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    instances: [{ sepal_length: 5.5, sepal_width: 3.5, petal_length: 1.3, petal_width: 0.2 }],
  }),
});
console.log(JSON.stringify(await res.json()));
await service.close();
