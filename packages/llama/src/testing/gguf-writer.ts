/**
 * Writes a tiny llama-architecture GGUF v3 file with random F32 weights, for tests and benchmarks
 * that need node-llama-cpp to really load and run a model without downloading one.
 *
 * The vocabulary is byte-level ("llama" SentencePiece model with byte fallback): `<unk>`, `<s>`,
 * `</s>`, the 256 byte tokens, the ChatML control tokens, then normal tokens (printable ASCII, a
 * few words and `extraTokens`). The weights are uniform noise from a seeded generator, so the same
 * options give a byte-identical file.
 *
 * The file carries the metadata marker `sleeptime.provenance = random-weights`, so that benchmark
 * results made with it are labelled as such (see `provenanceMarker`).
 *
 * One deliberate non-random part: every token embedding carries a constant in dimension 0 and
 * `output.weight` reads that dimension as a per-token logit bias (`logitBiasByText`). By default
 * it favours the JSON closers `"`, `}` and `]`, so that grammar-constrained JSON from random weights
 * (free strings, numbers, arrays) ends after a few tokens instead of running to the token limit.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { PROVENANCE_GGUF_KEY } from '@sleeptime/core';

export interface RandomLlamaGgufOptions {
  /** Width of the residual stream (`llama.embedding_length`). Default 64. */
  embeddingLength?: number;
  /** Number of transformer blocks. Default 2. */
  blockCount?: number;
  /** Attention heads. Default 4; must divide `embeddingLength`. */
  headCount?: number;
  /** Key/value heads (grouped-query attention). Default `headCount`; must divide it. */
  headCountKv?: number;
  /** Hidden width of the feed-forward network. Default 128. */
  feedForwardLength?: number;
  /** Training context length written to the metadata. Default 4096. */
  contextLength?: number;
  /** Seed of the weight generator. Default 1. */
  seed?: number;
  /** More normal tokens (their prefixes are added too, so the tokenizer can build them by merges). */
  extraTokens?: string[];
  /**
   * Logit added to every token whose text equals the key, whatever the input. Default:
   * `{'"': 5, '}': 6, ']': 6, ',': 2}`. Pass `{}` for a model with no preference.
   */
  logitBiasByText?: Record<string, number>;
  /**
   * Write the `sleeptime.provenance = random-weights` metadata marker (default true). `false` makes a
   * file that looks like any other model file, for tests of what happens to unmarked (real) models.
   */
  provenanceMarker?: boolean;
}

/** ChatML, the format of many instruct models; node-llama-cpp renders it with its ChatML wrapper. */
export const RANDOM_LLAMA_CHAT_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export const DEFAULT_LOGIT_BIAS_BY_TEXT: Readonly<Record<string, number>> = Object.freeze({
  '"': 5,
  '}': 6,
  ']': 6,
  ',': 2,
});

/** SentencePiece marks a space with U+2581. */
const SPACE_MARK = '\u2581';
const DEFAULT_WORDS = ['the', 'and', 'is', 'of', 'to', 'answer', 'memory', 'question', 'number', 'tool'];

const TokenType = { Normal: 1, Unknown: 2, Control: 3, Byte: 6 } as const;
type TokenType = (typeof TokenType)[keyof typeof TokenType];

const GgufValueType = { Uint32: 4, Int32: 5, Float32: 6, Bool: 7, String: 8, Array: 9 } as const;
type GgufValueType = (typeof GgufValueType)[keyof typeof GgufValueType];

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
const GGUF_VERSION = 3;
const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;
const WEIGHT_STANDARD_DEVIATION = 0.02;
/** Dimension 0 of every token embedding; large next to the noise, so it survives RMS norm. */
const BIAS_CARRIER_VALUE = 1;

interface VocabularyToken {
  text: string;
  score: number;
  type: TokenType;
}

interface TensorPlan {
  name: string;
  /** ggml order: dimensions[0] varies fastest. */
  dimensions: number[];
  fill: (data: Float32Array, random: () => number) => void;
}

export async function writeRandomLlamaGguf(path: string, options: RandomLlamaGgufOptions = {}): Promise<void> {
  const embeddingLength = options.embeddingLength ?? 64;
  const blockCount = options.blockCount ?? 2;
  const headCount = options.headCount ?? 4;
  const headCountKv = options.headCountKv ?? headCount;
  const feedForwardLength = options.feedForwardLength ?? 128;
  const contextLength = options.contextLength ?? 4096;
  const seed = options.seed ?? 1;
  const logitBiasByText = options.logitBiasByText ?? DEFAULT_LOGIT_BIAS_BY_TEXT;

  for (const [name, value] of Object.entries({ embeddingLength, blockCount, headCount, headCountKv, feedForwardLength, contextLength }))
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  if (embeddingLength % headCount !== 0) throw new RangeError('headCount must divide embeddingLength');
  if (headCount % headCountKv !== 0) throw new RangeError('headCountKv must divide headCount');

  const vocabulary = buildVocabulary(options.extraTokens ?? []);
  const headDimension = embeddingLength / headCount;
  const keyValueWidth = headDimension * headCountKv;

  const metadata = new ByteWriter();
  const metadataEntries: Array<[string, (writer: ByteWriter) => void]> = [
    ['general.architecture', (w) => w.stringValue('llama')],
    ['general.name', (w) => w.stringValue('sleeptime random llama')],
    ['general.file_type', (w) => w.uint32Value(0)],
    ['general.alignment', (w) => w.uint32Value(ALIGNMENT)],
    ['llama.context_length', (w) => w.uint32Value(contextLength)],
    ['llama.embedding_length', (w) => w.uint32Value(embeddingLength)],
    ['llama.block_count', (w) => w.uint32Value(blockCount)],
    ['llama.feed_forward_length', (w) => w.uint32Value(feedForwardLength)],
    ['llama.attention.head_count', (w) => w.uint32Value(headCount)],
    ['llama.attention.head_count_kv', (w) => w.uint32Value(headCountKv)],
    ['llama.rope.dimension_count', (w) => w.uint32Value(headDimension)],
    ['llama.rope.freq_base', (w) => w.float32Value(10000)],
    ['llama.attention.layer_norm_rms_epsilon', (w) => w.float32Value(1e-5)],
    ['llama.vocab_size', (w) => w.uint32Value(vocabulary.length)],
    ['tokenizer.ggml.model', (w) => w.stringValue('llama')],
    ['tokenizer.ggml.tokens', (w) => w.stringArrayValue(vocabulary.map((token) => token.text))],
    ['tokenizer.ggml.scores', (w) => w.float32ArrayValue(vocabulary.map((token) => token.score))],
    ['tokenizer.ggml.token_type', (w) => w.int32ArrayValue(vocabulary.map((token) => token.type))],
    ['tokenizer.ggml.unknown_token_id', (w) => w.uint32Value(0)],
    ['tokenizer.ggml.bos_token_id', (w) => w.uint32Value(1)],
    ['tokenizer.ggml.eos_token_id', (w) => w.uint32Value(2)],
    ['tokenizer.ggml.add_bos_token', (w) => w.boolValue(true)],
    ['tokenizer.ggml.add_eos_token', (w) => w.boolValue(false)],
    ['tokenizer.ggml.add_space_prefix', (w) => w.boolValue(false)],
    ['tokenizer.chat_template', (w) => w.stringValue(RANDOM_LLAMA_CHAT_TEMPLATE)],
  ];
  // Benchmark results and reports read this to say their figures come from random weights.
  if (options.provenanceMarker !== false) metadataEntries.push([PROVENANCE_GGUF_KEY, (w) => w.stringValue('random-weights')]);

  const biasByTokenId = new Map<number, number>();
  vocabulary.forEach((token, tokenId) => {
    const bias = logitBiasByText[tokenText(token)];
    if (bias !== undefined) biasByTokenId.set(tokenId, bias);
  });
  // After RMS norm the carrier dimension is about sqrt(d) * BIAS_CARRIER_VALUE / rms, i.e. close to sqrt(d).
  const biasScale = 1 / Math.sqrt(embeddingLength);

  const noise = (data: Float32Array, random: () => number) => {
    const halfWidth = WEIGHT_STANDARD_DEVIATION * Math.sqrt(3); // uniform with the wanted deviation
    for (let index = 0; index < data.length; index++) data[index] = (random() * 2 - 1) * halfWidth;
  };
  const ones = (data: Float32Array) => data.fill(1);

  const tensors: TensorPlan[] = [
    {
      name: 'token_embd.weight',
      dimensions: [embeddingLength, vocabulary.length],
      fill: (data, random) => {
        noise(data, random);
        for (let tokenId = 0; tokenId < vocabulary.length; tokenId++) data[tokenId * embeddingLength] = BIAS_CARRIER_VALUE;
      },
    },
  ];
  for (let block = 0; block < blockCount; block++) {
    const prefix = `blk.${block}.`;
    tensors.push(
      { name: `${prefix}attn_norm.weight`, dimensions: [embeddingLength], fill: ones },
      { name: `${prefix}attn_q.weight`, dimensions: [embeddingLength, embeddingLength], fill: noise },
      { name: `${prefix}attn_k.weight`, dimensions: [embeddingLength, keyValueWidth], fill: noise },
      { name: `${prefix}attn_v.weight`, dimensions: [embeddingLength, keyValueWidth], fill: noise },
      { name: `${prefix}attn_output.weight`, dimensions: [embeddingLength, embeddingLength], fill: noise },
      { name: `${prefix}ffn_norm.weight`, dimensions: [embeddingLength], fill: ones },
      { name: `${prefix}ffn_gate.weight`, dimensions: [embeddingLength, feedForwardLength], fill: noise },
      { name: `${prefix}ffn_up.weight`, dimensions: [embeddingLength, feedForwardLength], fill: noise },
      { name: `${prefix}ffn_down.weight`, dimensions: [feedForwardLength, embeddingLength], fill: noise },
    );
  }
  tensors.push(
    { name: 'output_norm.weight', dimensions: [embeddingLength], fill: ones },
    {
      name: 'output.weight',
      dimensions: [embeddingLength, vocabulary.length],
      fill: (data, random) => {
        noise(data, random);
        for (let tokenId = 0; tokenId < vocabulary.length; tokenId++)
          data[tokenId * embeddingLength] = (biasByTokenId.get(tokenId) ?? 0) * biasScale;
      },
    },
  );

  // Header: magic, version, tensor count, metadata count, metadata, tensor infos.
  metadata.uint32(GGUF_MAGIC);
  metadata.uint32(GGUF_VERSION);
  metadata.uint64(tensors.length);
  metadata.uint64(metadataEntries.length);
  for (const [key, writeValue] of metadataEntries) {
    metadata.string(key);
    writeValue(metadata);
  }
  let dataOffset = 0;
  const tensorOffsets: number[] = [];
  for (const tensor of tensors) {
    metadata.string(tensor.name);
    metadata.uint32(tensor.dimensions.length);
    for (const dimension of tensor.dimensions) metadata.uint64(dimension);
    metadata.uint32(GGML_TYPE_F32);
    metadata.uint64(dataOffset);
    tensorOffsets.push(dataOffset);
    dataOffset += alignUp(elementCount(tensor) * 4);
  }
  metadata.padToAlignment();

  const file = await open(path, 'w');
  try {
    await writeAll(file, metadata.toBuffer());
    for (const [tensorIndex, tensor] of tensors.entries()) {
      const data = new Float32Array(elementCount(tensor));
      // One generator per tensor: a tensor's values do not depend on the shapes of the others.
      tensor.fill(data, createRandom(seed, tensorIndex));
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      await writeAll(file, bytes);
      const padding = alignUp(bytes.length) - bytes.length;
      if (padding > 0) await writeAll(file, Buffer.alloc(padding));
    }
  } finally {
    await file.close();
  }
}

function buildVocabulary(extraTokens: string[]): VocabularyToken[] {
  const vocabulary: VocabularyToken[] = [
    { text: '<unk>', score: 0, type: TokenType.Unknown },
    { text: '<s>', score: 0, type: TokenType.Control },
    { text: '</s>', score: 0, type: TokenType.Control },
  ];
  for (let byte = 0; byte < 256; byte++)
    vocabulary.push({ text: `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`, score: 0, type: TokenType.Byte });
  vocabulary.push(
    { text: '<|im_start|>', score: 0, type: TokenType.Control },
    { text: '<|im_end|>', score: 0, type: TokenType.Control },
  );

  const normalPieces = new Set<string>([SPACE_MARK]);
  for (let code = 33; code < 127; code++) normalPieces.add(String.fromCharCode(code));
  const words = [...DEFAULT_WORDS.map((word) => SPACE_MARK + word), ...extraTokens.map((token) => token.replaceAll(' ', SPACE_MARK))];
  for (const word of words) {
    // SentencePiece builds a token by merging adjacent pieces, so every prefix must be a token too.
    const characters = [...word];
    for (let length = 1; length <= characters.length; length++) normalPieces.add(characters.slice(0, length).join(''));
  }
  for (const piece of normalPieces) {
    if (vocabulary.some((token) => token.text === piece)) continue;
    // Longer pieces score higher, so the tokenizer prefers them when merging.
    vocabulary.push({ text: piece, score: [...piece].length, type: TokenType.Normal });
  }
  return vocabulary;
}

/** The text a token stands for when generated: byte tokens are their byte, `▁` is a space. */
function tokenText(token: VocabularyToken): string {
  if (token.type === TokenType.Byte) return String.fromCharCode(Number.parseInt(token.text.slice(3, 5), 16));
  if (token.type === TokenType.Normal) return token.text.replaceAll(SPACE_MARK, ' ');
  return token.text;
}

function elementCount(tensor: TensorPlan): number {
  return tensor.dimensions.reduce((product, dimension) => product * dimension, 1);
}

function alignUp(byteLength: number): number {
  return Math.ceil(byteLength / ALIGNMENT) * ALIGNMENT;
}

async function writeAll(file: FileHandle, bytes: Buffer): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const result = await file.write(bytes, written, bytes.length - written);
    written += result.bytesWritten;
  }
}

/** mulberry32 seeded from (seed, stream): small, fast and the same on every platform. */
function createRandom(seed: number, stream: number): () => number {
  let state = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Little-endian binary writer for the GGUF header. */
class ByteWriter {
  private readonly chunks: Buffer[] = [];
  private length = 0;

  private push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  uint32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeUInt32LE(value);
    this.push(chunk);
  }

  int32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeInt32LE(value);
    this.push(chunk);
  }

  uint64(value: number): void {
    const chunk = Buffer.alloc(8);
    chunk.writeBigUInt64LE(BigInt(value));
    this.push(chunk);
  }

  float32(value: number): void {
    const chunk = Buffer.alloc(4);
    chunk.writeFloatLE(value);
    this.push(chunk);
  }

  string(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.uint64(bytes.length);
    this.push(bytes);
  }

  uint32Value(value: number): void {
    this.uint32(GgufValueType.Uint32);
    this.uint32(value);
  }

  float32Value(value: number): void {
    this.uint32(GgufValueType.Float32);
    this.float32(value);
  }

  boolValue(value: boolean): void {
    this.uint32(GgufValueType.Bool);
    this.push(Buffer.from([value ? 1 : 0]));
  }

  stringValue(value: string): void {
    this.uint32(GgufValueType.String);
    this.string(value);
  }

  stringArrayValue(values: string[]): void {
    this.arrayHeader(GgufValueType.String, values.length);
    for (const value of values) this.string(value);
  }

  float32ArrayValue(values: number[]): void {
    this.arrayHeader(GgufValueType.Float32, values.length);
    for (const value of values) this.float32(value);
  }

  int32ArrayValue(values: number[]): void {
    this.arrayHeader(GgufValueType.Int32, values.length);
    for (const value of values) this.int32(value);
  }

  private arrayHeader(elementType: GgufValueType, count: number): void {
    this.uint32(GgufValueType.Array);
    this.uint32(elementType);
    this.uint64(count);
  }

  /** Pads to the GGUF alignment: tensor data must start on an aligned offset. */
  padToAlignment(): void {
    const padding = alignUp(this.length) - this.length;
    if (padding > 0) this.push(Buffer.alloc(padding));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}
