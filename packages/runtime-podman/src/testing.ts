export { FakeRuntime } from "./fake.js";
export type {
  ContainerBehaviour,
  FakeCall,
  FakeContainer,
  FakeRuntimeOptions,
  RuntimeMethod,
} from "./fake.js";
