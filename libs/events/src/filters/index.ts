export {
  EVENT_TYPE_NAMES,
  type EventTypeName,
  type CapFilterSet,
  type CapFilter,
  type EventFilter,
  type EventFilterOptions,
  type FieldFilter,
  type FieldFilterAction,
  type RedactionFilter,
} from './types';
export { FilterError } from './errors';
export { eventTypeOf } from './event-type';
export { compileEventFilter, type EventPredicate } from './event-filter';
export { compileFieldFilters, type EventTransform } from './field-filter';
export { compileRedactionFilters, REDACTED } from './redaction';
export { compileRe2, translateRe2, Re2SyntaxError } from './re2';
export { parseLabelSelector, LabelSelectorError, type LabelSelector, type LabelRequirement } from './label-selector';
