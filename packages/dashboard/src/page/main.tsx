import { render } from "preact";

render(<main id="apps">archy</main>, document.getElementById("root")!);
