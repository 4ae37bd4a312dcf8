export { FakeRuntime } from "./fake.js";
export type {
  ContainerBehaviour,
  FakeCall,
  FakeContainer,
  FakeRuntimeOptions,
  RuntimeMethod,
  ScriptOptions,
} from "./fake.js";
export { VirtualClock } from "./virtual-clock.js";
