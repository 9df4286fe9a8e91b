export * from './rule-definition';
export * from './condition-evaluator';
export * from './case-view';
export * from './survey-state.service';
