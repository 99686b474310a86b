/**
 * `@sleeptime/llama/testing`: a writer of tiny random-weight GGUF models (a real llama
 * architecture and tokenizer, random weights) that node-llama-cpp loads in well under a second, for
 * tests of anything that runs an embedded model.
 */
export { DEFAULT_LOGIT_BIAS_BY_TEXT, RANDOM_LLAMA_CHAT_TEMPLATE, writeRandomLlamaGguf, type RandomLlamaGgufOptions } from './gguf-writer.js';
