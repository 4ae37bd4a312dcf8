// The status page's entry point: the controller with the browser's fetch,
// EventSource and timers, and the view.
import { render } from "preact";
import { httpApi } from "./api.js";
import { App } from "./app.js";
import { startController } from "./controller.js";

const controller = startController({
  api: httpApi,
  openEvents: (url) => new EventSource(url),
  timers: {
    setTimeout: (fn, ms) => window.setTimeout(fn, ms),
    clearTimeout: (handle) => window.clearTimeout(handle as number),
  },
  now: () => Date.now(),
});
window.addEventListener("online", () => controller.online());

render(<App controller={controller} />, document.getElementById("root")!);
