/** The benchmark report: a self-contained HTML page with one SVG per figure, and a markdown summary. */
export { DEFAULT_REPORT_TITLE, namespaceSvgIds, writeReport, type WriteReportOptions, type WriteReportResult } from './write-report.js';
export { FIGURE_SLUGS, NO_DATA_NOTES, figureDefinitions, tokenScoreChart, type ChartPoint, type ChartSeries, type FigureDefinition, type FigureId, type TokenScoreChartOptions } from './figure-specs.js';
export { SWE_FEATURES_NO_DATA_NOTE, sweFeaturesFigure } from './swe-features-figure.js';
export { sweFeaturesHeadlineGroups, sweFeaturesMethod, sweFeaturesTableHeader, sweFeaturesTableRows } from './swe-features-text.js';
export {
  NOT_RECORDED_LABEL,
  PIPELINE_ONLY_SENTENCE,
  provenanceDescription,
  provenanceLabel,
  provenanceNotice,
  summarizeProvenance,
  type ModelProvenanceSummary,
} from './provenance.js';
export { renderNoDataSvg, renderVegaLiteSvg } from './render-svg.js';
export { headlineRules, intervalMethod, methodParagraphs, TOKEN_REDUCTION_METHOD } from './method-text.js';
