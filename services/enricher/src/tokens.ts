/** Whether the enricher closes the bus at shutdown (standalone) or its owner does (`vigil run`). */
export const OWNS_BUS = 'VIGIL_ENRICHER_OWNS_BUS';
