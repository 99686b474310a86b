/**
 * The random GGUF writer: files load in node-llama-cpp, are deterministic, and carry the metadata,
 * vocabulary and logit bias they promise. Random weights: these tests check the file, not any
 * answer quality.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provenanceFromGgufMetadata } from '@sleeptime/core';
import { RANDOM_LLAMA_CHAT_TEMPLATE, writeRandomLlamaGguf } from './gguf-writer.js';

let directory: string;
let llama: Llama;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'sleeptime-gguf-'));
  llama = await getLlama({ gpu: false });
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Greedy tokens from a prompt, on one thread (tiny models are slowest on several). */
async function greedyText(path: string, prompt: string, tokenCount: number): Promise<string> {
  const model = await llama.loadModel({ modelPath: path });
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const generated = [];
    for await (const token of context.getSequence().evaluate(model.tokenize(prompt), { temperature: 0 })) {
      generated.push(token);
      if (generated.length >= tokenCount) break;
    }
    return model.detokenize(generated);
  } finally {
    await context.dispose();
    await model.dispose();
  }
}

describe('writeRandomLlamaGguf', () => {
  it('writes a file of about half a megabyte that node-llama-cpp loads as a llama model with the given shape', async () => {
    const path = join(directory, 'default.gguf');
    await writeRandomLlamaGguf(path);
    const { size } = await stat(path);
    expect(size).toBeGreaterThan(300_000);
    expect(size).toBeLessThan(2_000_000);

    const info = await readGgufFileInfo(path);
    expect(info.version).toBe(3);
    const metadata = info.metadata as unknown as {
      general: { architecture: string; file_type: number };
      llama: { embedding_length: number; block_count: number; attention: { head_count: number; head_count_kv: number } };
      tokenizer: { chat_template: string; ggml: { model: string; tokens: string[]; token_type: number[]; bos_token_id: number } };
    };
    expect(metadata.general.architecture).toBe('llama');
    expect(metadata.general.file_type).toBe(0);
    expect(metadata.llama.embedding_length).toBe(64);
    expect(metadata.llama.block_count).toBe(2);
    expect(metadata.llama.attention.head_count).toBe(4);
    expect(metadata.llama.attention.head_count_kv).toBe(4);
    expect(metadata.tokenizer.chat_template).toBe(RANDOM_LLAMA_CHAT_TEMPLATE);
    const tokens = metadata.tokenizer.ggml.tokens;
    expect(tokens.slice(0, 4)).toEqual(['<unk>', '<s>', '</s>', '<0x00>']);
    expect(tokens[258]).toBe('<0xFF>');
    expect(metadata.tokenizer.ggml.token_type.slice(0, 4)).toEqual([2, 3, 3, 6]);
    expect(metadata.tokenizer.ggml.bos_token_id).toBe(1);
    // Data offsets are aligned, or llama.cpp would refuse the file.
    for (const tensor of info.fullTensorInfo ?? []) expect(Number(tensor.offset) % 32).toBe(0);
    expect(info.fullTensorInfo?.map((tensor) => tensor.name)).toContain('blk.1.ffn_down.weight');

    const model = await llama.loadModel({ modelPath: path });
    try {
      expect(model.tokens.bos).toBe(1);
      expect(model.tokens.eos).toBe(2);
      expect(model.detokenize(model.tokenize('Hello, "world" 42!'))).toBe('Hello, "world" 42!');
      // The ChatML markers are single control tokens.
      expect(model.tokenize('<|im_start|>', true)).toHaveLength(1);
    } finally {
      await model.dispose();
    }
  });

  it('writes byte-identical files for the same seed and different ones for another seed', async () => {
    const first = join(directory, 'seed-a.gguf');
    const second = join(directory, 'seed-b.gguf');
    const other = join(directory, 'seed-c.gguf');
    await writeRandomLlamaGguf(first, { seed: 7 });
    await writeRandomLlamaGguf(second, { seed: 7 });
    await writeRandomLlamaGguf(other, { seed: 8 });
    const [firstBytes, secondBytes, otherBytes] = await Promise.all([readFile(first), readFile(second), readFile(other)]);
    expect(firstBytes.equals(secondBytes)).toBe(true);
    expect(otherBytes.length).toBe(firstBytes.length);
    expect(otherBytes.equals(firstBytes)).toBe(false);
  });

  it('writes larger shapes with grouped-query attention and extra tokens that load and run', async () => {
    const path = join(directory, 'larger.gguf');
    await writeRandomLlamaGguf(path, {
      embeddingLength: 128,
      blockCount: 4,
      headCount: 8,
      headCountKv: 2,
      feedForwardLength: 256,
      contextLength: 1024,
      extraTokens: ['sleeptime'],
    });
    const info = await readGgufFileInfo(path);
    const vocabularySize = (info.metadata as unknown as { tokenizer: { ggml: { tokens: string[] } } }).tokenizer.ggml.tokens.length;
    const perBlock = 128 * 128 * 2 + 128 * 32 * 2 + 3 * 128 * 256 + 2 * 128;
    const parameters = 2 * 128 * vocabularySize + 4 * perBlock + 128;
    const totalElements = (info.fullTensorInfo ?? []).reduce(
      (sum, tensor) => sum + tensor.dimensions.reduce<number>((product, dimension) => product * Number(dimension), 1),
      0,
    );
    expect(totalElements).toBe(parameters);

    const model = await llama.loadModel({ modelPath: path });
    try {
      expect(model.trainContextSize).toBe(1024);
      expect(model.tokenize('sleeptime')).toHaveLength(1);
    } finally {
      await model.dispose();
    }
    expect(await greedyText(path, 'abc', 3)).toHaveLength(3);
  });

  it('biases the output toward the configured token text whatever the input', async () => {
    const biased = join(directory, 'biased.gguf');
    const unbiased = join(directory, 'unbiased.gguf');
    await writeRandomLlamaGguf(biased, { logitBiasByText: { '@': 8 } });
    await writeRandomLlamaGguf(unbiased, { logitBiasByText: {} });
    expect(await greedyText(biased, 'Hello there', 6)).toBe('@@@@@@');
    expect(await greedyText(unbiased, 'Hello there', 6)).not.toBe('@@@@@@');
  });

  it('marks its files as random weights, unless told not to', async () => {
    const marked = join(directory, 'marked.gguf');
    const unmarked = join(directory, 'unmarked.gguf');
    await writeRandomLlamaGguf(marked);
    await writeRandomLlamaGguf(unmarked, { provenanceMarker: false });
    const markerOf = async (path: string) => ((await readGgufFileInfo(path)).metadata as unknown as { sleeptime?: { provenance?: string } }).sleeptime?.provenance;
    expect(await markerOf(marked)).toBe('random-weights');
    expect(await markerOf(unmarked)).toBeUndefined();
    expect(provenanceFromGgufMetadata((await readGgufFileInfo(marked)).metadata)).toMatchObject({ kind: 'random-weights', source: 'model-file' });
    expect(provenanceFromGgufMetadata((await readGgufFileInfo(unmarked)).metadata)).toMatchObject({ kind: 'real', source: 'model-file' });
  });

  it('rejects shapes llama.cpp cannot load', async () => {
    await expect(writeRandomLlamaGguf(join(directory, 'bad.gguf'), { embeddingLength: 30, headCount: 4 })).rejects.toThrow(
      /headCount must divide embeddingLength/,
    );
    await expect(writeRandomLlamaGguf(join(directory, 'bad.gguf'), { headCount: 4, headCountKv: 3 })).rejects.toThrow(
      /headCountKv must divide headCount/,
    );
    await expect(writeRandomLlamaGguf(join(directory, 'bad.gguf'), { blockCount: 0 })).rejects.toThrow(/blockCount/);
  });
});
