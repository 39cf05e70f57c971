package dev.slmops.model.format.gguf;

/**
 * llama.cpp's GGUF metadata key names (gguf-py's constants.py {@code Keys}), in one place. Architecture keys
 * are templates: {@code arch("llama", CONTEXT_LENGTH)} is {@code "llama.context_length"}.
 */
public final class GgufKeys {
    private GgufKeys() {
    }

    // general.*
    public static final String ARCHITECTURE = "general.architecture";
    public static final String NAME = "general.name";
    public static final String ALIGNMENT = GgufFile.ALIGNMENT_KEY;
    public static final String FILE_TYPE = "general.file_type";
    public static final String QUANTIZATION_VERSION = "general.quantization_version";

    // {arch}.* suffixes
    public static final String VOCAB_SIZE = "vocab_size";
    public static final String CONTEXT_LENGTH = "context_length";
    public static final String EMBEDDING_LENGTH = "embedding_length";
    public static final String BLOCK_COUNT = "block_count";
    public static final String FEED_FORWARD_LENGTH = "feed_forward_length";
    public static final String HEAD_COUNT = "attention.head_count";
    public static final String HEAD_COUNT_KV = "attention.head_count_kv";
    public static final String KEY_LENGTH = "attention.key_length";
    public static final String VALUE_LENGTH = "attention.value_length";
    public static final String RMS_EPSILON = "attention.layer_norm_rms_epsilon";
    public static final String SLIDING_WINDOW = "attention.sliding_window";
    public static final String ROPE_DIMENSION_COUNT = "rope.dimension_count";
    public static final String ROPE_FREQ_BASE = "rope.freq_base";
    public static final String ROPE_SCALING_TYPE = "rope.scaling.type";
    public static final String ROPE_SCALING_FACTOR = "rope.scaling.factor";
    public static final String ROPE_SCALING_ATTN_FACTOR = "rope.scaling.attn_factor";
    public static final String ROPE_SCALING_ORIG_CTX = "rope.scaling.original_context_length";

    // tokenizer.*
    public static final String TOKENIZER_MODEL = "tokenizer.ggml.model";   // "llama" (SentencePiece), "gpt2" (byte-level BPE)
    public static final String TOKENIZER_PRE = "tokenizer.ggml.pre";       // pre-tokenizer name, e.g. "default", "llama-bpe", "qwen2"
    public static final String TOKENS = "tokenizer.ggml.tokens";
    public static final String SCORES = "tokenizer.ggml.scores";
    public static final String TOKEN_TYPE = "tokenizer.ggml.token_type";   // int32 per token, see TokenType
    public static final String MERGES = "tokenizer.ggml.merges";
    public static final String BOS_ID = "tokenizer.ggml.bos_token_id";
    public static final String EOS_ID = "tokenizer.ggml.eos_token_id";
    public static final String UNK_ID = "tokenizer.ggml.unknown_token_id";
    public static final String PAD_ID = "tokenizer.ggml.padding_token_id";
    public static final String EOT_ID = "tokenizer.ggml.eot_token_id";
    public static final String ADD_BOS = "tokenizer.ggml.add_bos_token";
    public static final String ADD_EOS = "tokenizer.ggml.add_eos_token";
    public static final String ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";
    public static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** SentencePiece token types as tokenizer.ggml.token_type stores them (llama.cpp's llama_token_type). */
    public enum TokenType {
        UNDEFINED(0), NORMAL(1), UNKNOWN(2), CONTROL(3), USER_DEFINED(4), UNUSED(5), BYTE(6);

        public final int id;

        TokenType(int id) {
            this.id = id;
        }
    }

    /**
     * general.file_type (llama.cpp's llama_ftype) for a model whose large matrices are stored as {@code t}:
     * ALL_F32 0, MOSTLY_F16 1, Q4_0 2, Q4_1 3, Q8_0 7, Q5_0 8, Q5_1 9, Q2_K 10, Q4_K_M 15, Q5_K_M 17,
     * Q6_K 18, BF16 32. (K-quant files mix types; this names the usual "_M" mix for the dominant one.)
     */
    public static int fileTypeOf(dev.slmops.tensor.DType t) {
        return switch (t) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 12;
            case Q4_K -> 15;
            case Q5_K -> 17;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(t + " is not a GGUF model file type");
        };
    }

    /** {@code arch + "." + suffix}, e.g. {@code "qwen3.attention.head_count_kv"}. */
    public static String arch(String arch, String suffix) {
        return arch + "." + suffix;
    }
}
