export * from './schemas';
export * from './topics';
export * from './cloudevents';
export * from './reasons';
export * from './limits';
