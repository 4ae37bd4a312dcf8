export { FakeRuntime } from "./fake/fake.js";
export type { FakeCall, FakeRuntimeOptions } from "./fake/fake.js";
export type { FakeContainer } from "./fake/container.js";
export type { ContainerBehaviour, RuntimeMethod, ScriptOptions } from "./fake/scripts.js";
export { VirtualClock } from "./clock/virtual-clock.js";
