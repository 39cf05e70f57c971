package dev.slmops.model.format.gguf;

import dev.slmops.model.format.TensorBytes;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small GGUF files made with {@link GgufWriter} for tests and as fuzzing seeds. */
final class GgufSamples {
    private GgufSamples() {
    }

    /** One key of every value type (edge values included), nested arrays, and one tensor of every GGUF dtype. */
    static GgufWriter everyType() {
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "test")
                .put("u8", GgufType.UINT8, 255L)
                .put("i8", GgufType.INT8, -128L)
                .put("u16", GgufType.UINT16, 65535L)
                .put("i16", GgufType.INT16, -32768L)
                .put("u32", GgufType.UINT32, 0xFFFF_FFFFL)
                .put("i32", GgufType.INT32, (long) Integer.MIN_VALUE)
                .put("u64", GgufType.UINT64, -1L) // 2^64 - 1: bits kept
                .put("i64", GgufType.INT64, Long.MIN_VALUE)
                .put("f32", GgufType.FLOAT32, 1.5e-5f)
                .put("f64", GgufType.FLOAT64, Math.PI)
                .put("bool", GgufType.BOOL, true)
                .put("str", GgufType.STRING, "héllo ✓ \uD83D\uDE00")
                .putArray("arr.str", GgufValueType.STRING, List.of("a", "", "ü"))
                .putArray("arr.f32", GgufValueType.FLOAT32, List.of(1f, -2.5f, Float.NaN))
                .putArray("arr.i32", GgufValueType.INT32, List.of(1L, -1L))
                .putArray("arr.empty", GgufValueType.UINT8, List.of())
                .put("arr.nested", new GgufType.Array(GgufType.arrayOf(GgufValueType.INT16)),
                        List.of(List.of(1L, 2L), List.of(), List.of(-3L)))
                .put("arr.mixed", new GgufType.MixedArray(List.of(GgufType.arrayOf(GgufValueType.BOOL),
                        GgufType.arrayOf(GgufValueType.STRING))), List.of(List.of(true, false), List.of("x")));
        Random r = new Random(7);
        for (DType t : DType.values()) {
            if (t.ggmlType < 0) continue;
            long[] shape = {2, t.blockSize * 2L};
            byte[] bytes = new byte[(int) t.bytesFor(shape[0] * shape[1])];
            r.nextBytes(bytes);
            w.addTensor("t." + t.name().toLowerCase(), t, shape, TensorBytes.of(java.lang.foreign.MemorySegment.ofArray(bytes)));
        }
        return w;
    }

    static byte[] bytesOf(GgufWriter w, Path dir, String name) throws IOException {
        Path p = dir.resolve(name);
        w.write(p);
        return Files.readAllBytes(p);
    }

    /**
     * A tiny Llama model (random weights, F32/F16/BF16) with a hand-made SentencePiece ("llama") vocabulary:
     * control tokens, the 256 byte tokens, and a few pieces; every key llama.cpp needs to load it.
     */
    /** Which hand-made vocabulary {@link #tinyLlama} carries. */
    enum Vocab {
        /** SentencePiece ("llama"): control tokens, 256 byte tokens, a few scored pieces. */
        SPM,
        /** Byte-level BPE ("gpt2"): the 256 byte symbols, a few merges, one control token. */
        GPT2
    }

    static GgufWriter tinyLlama(DType weights, int layers, int dim, int heads, int kvHeads, int ffn, long seed) {
        return tinyLlama(weights, Vocab.SPM, layers, dim, heads, kvHeads, ffn, seed);
    }

    /**
     * A tiny Llama model (random weights, F32/F16/BF16) with a hand-made vocabulary and every key llama.cpp
     * needs to load it.
     */
    static GgufWriter tinyLlama(DType weights, Vocab vocabKind, int layers, int dim, int heads, int kvHeads, int ffn, long seed) {
        List<String> tokens = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Long> types = new ArrayList<>();
        List<String> merges = new ArrayList<>();
        if (vocabKind == Vocab.SPM) {
            tokens.addAll(List.of("<unk>", "<s>", "</s>"));
            scores.addAll(List.of(0f, 0f, 0f));
            types.addAll(List.of(2L, 3L, 3L));
            for (int b = 0; b < 256; b++) {
                tokens.add(String.format("<0x%02X>", b));
                scores.add(0f);
                types.add(6L);
            }
            String[] pieces = {"▁", "▁a", "▁the", "e", "t", "a", "o", "n", "▁t", "he", "▁Once", "▁upon", "▁time", "in", "er"};
            for (int i = 0; i < pieces.length; i++) {
                tokens.add(pieces[i]);
                scores.add(-1f - i);
                types.add(1L);
            }
        } else {
            for (int b = 0; b < 256; b++) {
                tokens.add(gpt2ByteSymbol(b));
                types.add(1L);
            }
            String[][] pairs = {{"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"i", "n"}, {"Ġ", "a"}, {"e", "r"}, {"o", "n"}};
            for (String[] p : pairs) {
                merges.add(p[0] + " " + p[1]);
                tokens.add(p[0] + p[1]);
                types.add(1L);
            }
            tokens.add("<|endoftext|>");
            types.add(3L);
        }
        int vocab = tokens.size();
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("general.name", "slmops tiny random llama")
                .putUint32("llama.context_length", 256)
                .putUint32("llama.embedding_length", dim)
                .putUint32("llama.block_count", layers)
                .putUint32("llama.feed_forward_length", ffn)
                .putUint32("llama.rope.dimension_count", dim / heads)
                .putUint32("llama.attention.head_count", heads)
                .putUint32("llama.attention.head_count_kv", kvHeads)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32("llama.rope.freq_base", 10000f)
                .putUint32("llama.vocab_size", vocab)
                .putUint32("general.file_type", GgufKeys.fileTypeOf(weights));
        List<Integer> typeIds = types.stream().map(Long::intValue).toList();
        if (vocabKind == Vocab.SPM) {
            TestVocab.putSentencePiece(w, tokens, scores, typeIds,
                    new TestVocab.SpecialTokens(1, 2, 0, -1, true, false));
        } else {
            TestVocab.putByteLevelBpe(w, "default", tokens, typeIds, merges,
                    new TestVocab.SpecialTokens(vocab - 1, vocab - 1, -1, -1, false, false));
        }
        Random r = new Random(seed);
        int headDim = dim / heads;
        w.addTensor("token_embd.weight", weights, new long[]{vocab, dim}, random(r, vocab * dim, 0.5f, weights));
        for (int l = 0; l < layers; l++) {
            String p = "blk." + l + ".";
            w.addTensor(p + "attn_norm.weight", DType.F32, new long[]{dim}, ones(r, dim));
            w.addTensor(p + "attn_q.weight", weights, new long[]{dim, dim}, random(r, dim * dim, 0.3f, weights));
            w.addTensor(p + "attn_k.weight", weights, new long[]{kvHeads * headDim, dim}, random(r, kvHeads * headDim * dim, 0.3f, weights));
            w.addTensor(p + "attn_v.weight", weights, new long[]{kvHeads * headDim, dim}, random(r, kvHeads * headDim * dim, 0.3f, weights));
            w.addTensor(p + "attn_output.weight", weights, new long[]{dim, dim}, random(r, dim * dim, 0.3f, weights));
            w.addTensor(p + "ffn_norm.weight", DType.F32, new long[]{dim}, ones(r, dim));
            w.addTensor(p + "ffn_gate.weight", weights, new long[]{ffn, dim}, random(r, ffn * dim, 0.3f, weights));
            w.addTensor(p + "ffn_down.weight", weights, new long[]{dim, ffn}, random(r, ffn * dim, 0.3f, weights));
            w.addTensor(p + "ffn_up.weight", weights, new long[]{ffn, dim}, random(r, ffn * dim, 0.3f, weights));
        }
        w.addTensor("output_norm.weight", DType.F32, new long[]{dim}, ones(r, dim));
        w.addTensor("output.weight", weights, new long[]{vocab, dim}, random(r, vocab * dim, 0.5f, weights));
        return w;
    }

    /** GPT-2's byte-to-symbol map: printable Latin-1 bytes stand for themselves, the rest map to U+0100 upward. */
    static String gpt2ByteSymbol(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return String.valueOf((char) b);
        int n = 0;
        for (int x = 0; x < b; x++) {
            boolean p = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (!p) n++;
        }
        return String.valueOf((char) (256 + n));
    }

    private static TensorBytes random(Random r, int n, float scale, DType t) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian() * scale;
        return TensorBytes.ofFloats(v, t);
    }

    private static TensorBytes ones(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 1f + 0.1f * (float) r.nextGaussian();
        return TensorBytes.ofFloats(v, DType.F32);
    }
}
