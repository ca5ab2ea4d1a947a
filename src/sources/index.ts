// The "sources → examples" stage: find source files, read them, pull out their blocks of examples.
export { discover, type DiscoverOptions, type Discovered } from './discover.js';
export { loadSource, type LoadOptions } from './load.js';
export { extractScriptBlocks } from './script.js';
export { extractTextBlocks } from './text.js';
export { sourceKind, SOURCE_EXTENSIONS } from './kinds.js';
export { parseExamples, promptSyntax, DEFAULT_PROMPTS, type ParseOptions, type ParseResult } from '../parsing/examples.js';
export { parseDirectives, parseDirectiveText, trailingComment, mergeDirectives } from '../parsing/directives.js';
