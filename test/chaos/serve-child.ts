/** Runs the `modelserve` command from the sources (a child process of the chaos tests). */
import { main } from "../../src/cli/main.ts";

await main(process.argv);
