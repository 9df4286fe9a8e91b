import { conformanceViolations } from '../support/openapi-conformance';

// Runs after the file's own afterAll hooks (the pipeline is closed by then): an answer outside the OpenAPI
// document fails the file, naming the route, the status and what did not match.
afterAll(() => {
  const found = conformanceViolations.splice(0);
  if (found.length)
    throw new Error(`the gateway answered outside its OpenAPI document:\n${found.join('\n')}`);
});
