package dev.slmops.model.format.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.arch.Arch;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.slmops.model.format.gguf.GgufKeys.*;

/**
 * The config.json ↔ GGUF hyper-parameter keys per architecture, as a table that the HF→GGUF converter and
 * the GGUF loader both read. Each row says which {@code {arch}.*} key llama.cpp's converter writes, its GGUF
 * type, the config.json key it comes from, and the default the converter uses when config.json lacks it.
 * Checked against llama.cpp's convert_hf_to_gguf.py (TextModel, LlamaModel, Qwen2/Qwen3, Phi3MiniModel,
 * Gemma3Model set_gguf_parameters).
 *
 * <p>Rows whose {@link Rule} is not {@link Rule#CONFIG} are computed (documented on the rule). RoPE scaling
 * that llama.cpp stores as tensors (llama3's rope_freqs, Phi-3's rope_factors_long/short) is in
 * {@link GgufRopeTensors}.
 */
public final class GgufHyperParams {
    private GgufHyperParams() {
    }

    public enum Rule {
        /** The config.json value as is (or the default when absent; no key when absent and no default). */
        CONFIG,
        /** head_dim, else hidden_size / num_attention_heads. */
        HEAD_DIM_OR_WIDTH_OVER_HEADS,
        /** Phi-3: int(partial_rotary_factor * hidden_size) / num_attention_heads (factor defaults to 1). */
        PHI3_ROPE_DIMS,
        /** num_key_value_heads, else num_attention_heads (no GQA). */
        KV_HEADS_OR_HEADS,
        /** rope_scaling of type "linear": "linear" and its factor (no key otherwise). */
        LINEAR_ROPE_SCALING,
        /**
         * Phi-3 LongRoPE: sqrt(1 + ln(s) / ln(original_max_position_embeddings)) where
         * s = max_position_embeddings / original_max_position_embeddings (1 when s <= 1); no key without rope_scaling.
         */
        LONGROPE_ATTN_FACTOR
    }

    /**
     * @param key       the key without its {@code arch.} prefix, e.g. {@code attention.head_count_kv}
     * @param type      the GGUF type llama.cpp writes
     * @param hfKey     the config.json key (the loader maps the GGUF value back to it)
     * @param hfDefault the value when config.json lacks hfKey (null: write no key, or required when marked)
     * @param required  conversion fails without it
     */
    public record HyperParam(String key, GgufType type, String hfKey, Object hfDefault, boolean required, Rule rule) {
    }

    private static HyperParam req(String key, GgufType type, String hfKey) {
        return new HyperParam(key, type, hfKey, null, true, Rule.CONFIG);
    }

    private static HyperParam opt(String key, GgufType type, String hfKey, Object dflt) {
        return new HyperParam(key, type, hfKey, dflt, false, Rule.CONFIG);
    }

    private static HyperParam rule(String key, GgufType type, String hfKey, Rule rule) {
        return new HyperParam(key, type, hfKey, null, false, rule);
    }

    private static final GgufType U32 = GgufType.UINT32, F32 = GgufType.FLOAT32, STR = GgufType.STRING;

    /** The rows for one architecture, in the order llama.cpp's converter writes them. */
    public static List<HyperParam> table(Arch arch) {
        List<HyperParam> t = new ArrayList<>();
        boolean gemma = arch == Arch.GEMMA3;
        t.add(gemma ? opt(CONTEXT_LENGTH, U32, "max_position_embeddings", 131072L) : req(CONTEXT_LENGTH, U32, "max_position_embeddings"));
        if (arch == Arch.PHI3) t.add(req(ROPE_SCALING_ORIG_CTX, U32, "original_max_position_embeddings"));
        t.add(req(EMBEDDING_LENGTH, U32, "hidden_size"));
        t.add(req(BLOCK_COUNT, U32, "num_hidden_layers"));
        t.add(req(FEED_FORWARD_LENGTH, U32, "intermediate_size"));
        t.add(gemma ? opt(HEAD_COUNT, U32, "num_attention_heads", 8L) : req(HEAD_COUNT, U32, "num_attention_heads"));
        t.add(gemma ? opt(HEAD_COUNT_KV, U32, "num_key_value_heads", 4L) : rule(HEAD_COUNT_KV, U32, "num_key_value_heads", Rule.KV_HEADS_OR_HEADS));
        t.add(gemma ? opt(RMS_EPSILON, F32, "rms_norm_eps", 1e-6) : req(RMS_EPSILON, F32, "rms_norm_eps"));
        t.add(opt(ROPE_FREQ_BASE, F32, "rope_theta", gemma ? 1_000_000.0 : null));
        switch (arch) {
            case LLAMA -> {
                t.add(req(VOCAB_SIZE, U32, "vocab_size"));
                t.add(rule(ROPE_DIMENSION_COUNT, U32, "head_dim", Rule.HEAD_DIM_OR_WIDTH_OVER_HEADS));
                t.add(opt(KEY_LENGTH, U32, "head_dim", null));
                t.add(opt(VALUE_LENGTH, U32, "head_dim", null));
            }
            case QWEN2, QWEN3 -> {
                t.add(opt(KEY_LENGTH, U32, "head_dim", null));
                t.add(opt(VALUE_LENGTH, U32, "head_dim", null));
            }
            case PHI3 -> {
                t.add(rule(ROPE_DIMENSION_COUNT, U32, "partial_rotary_factor", Rule.PHI3_ROPE_DIMS));
                // 0 when absent: llama.cpp tells Phi-4 (no window) from Phi-3 this way
                t.add(opt(SLIDING_WINDOW, U32, "sliding_window", 0L));
                t.add(rule(ROPE_SCALING_ATTN_FACTOR, F32, "rope_scaling.attention_factor", Rule.LONGROPE_ATTN_FACTOR));
            }
            case GEMMA3 -> {
                t.add(opt(KEY_LENGTH, U32, "head_dim", 256L));
                t.add(opt(VALUE_LENGTH, U32, "head_dim", 256L));
                t.add(req(SLIDING_WINDOW, U32, "sliding_window"));
            }
        }
        t.add(rule(ROPE_SCALING_TYPE, STR, "rope_scaling.rope_type", Rule.LINEAR_ROPE_SCALING));
        t.add(rule(ROPE_SCALING_FACTOR, F32, "rope_scaling.factor", Rule.LINEAR_ROPE_SCALING));
        return List.copyOf(t);
    }

    /** A typed GGUF value. */
    public record Value(GgufType type, Object value) {
    }

    /**
     * The {@code {arch}.*} keys llama.cpp's converter writes for this config.json (for Gemma 3 multimodal
     * configs, pass the text_config), in table order, with full key names.
     */
    public static Map<String, Value> fromHfConfig(Arch arch, JsonNode config) {
        Map<String, Value> out = new LinkedHashMap<>();
        for (HyperParam p : table(arch)) {
            Object v = switch (p.rule()) {
                case CONFIG -> {
                    JsonNode n = config.get(p.hfKey());
                    if (n == null || n.isNull()) {
                        if (p.required()) {
                            throw new IllegalArgumentException("config.json has no " + p.hfKey() + ", needed for GGUF key "
                                    + arch.ggufName + "." + p.key());
                        }
                        yield p.hfDefault();
                    }
                    yield p.type().equals(F32) ? (Object) n.asDouble() : (Object) n.asLong();
                }
                case HEAD_DIM_OR_WIDTH_OVER_HEADS -> config.hasNonNull("head_dim") ? config.get("head_dim").asLong()
                        : config.get("hidden_size").asLong() / config.get("num_attention_heads").asLong();
                case PHI3_ROPE_DIMS -> (long) (config.path("partial_rotary_factor").asDouble(1.0) * config.get("hidden_size").asLong())
                        / config.get("num_attention_heads").asLong();
                case KV_HEADS_OR_HEADS -> config.hasNonNull("num_key_value_heads") ? config.get("num_key_value_heads").asLong()
                        : config.get("num_attention_heads").asLong();
                case LINEAR_ROPE_SCALING -> {
                    JsonNode s = config.get("rope_scaling");
                    if (s == null || s.isNull() || !"linear".equals(s.path("rope_type").asText(s.path("type").asText()))) yield null;
                    yield p.key().equals(ROPE_SCALING_TYPE) ? "linear" : (Object) s.path("factor").asDouble();
                }
                case LONGROPE_ATTN_FACTOR -> {
                    JsonNode s = config.get("rope_scaling");
                    if (s == null || s.isNull()) yield null;
                    double orig = config.get("original_max_position_embeddings").asDouble();
                    double scale = config.get("max_position_embeddings").asDouble() / orig;
                    yield scale > 1.0 ? Math.sqrt(1 + Math.log(scale) / Math.log(orig)) : 1.0;
                }
            };
            if (v != null) out.put(arch.ggufName + "." + p.key(), new Value(p.type(), v instanceof Double d && p.type().equals(F32) ? (Object) d.floatValue() : v));
        }
        return out;
    }

    /** Puts {@link #fromHfConfig} and general.architecture into a writer. */
    public static GgufWriter putInto(GgufWriter w, Arch arch, JsonNode config) {
        w.putString(ARCHITECTURE, arch.ggufName);
        fromHfConfig(arch, config).forEach((k, v) -> w.put(k, v.type(), v.value()));
        return w;
    }

    /**
     * The loader's direction: config.json keys recovered from GGUF metadata (rows read straight from config,
     * plus head_dim from attention.key_length), as Long or Double. Keys the file lacks are left out.
     */
    public static Map<String, Object> toHfConfig(Arch arch, Map<String, Object> metadata) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (HyperParam p : table(arch)) {
            Object v = metadata.get(arch.ggufName + "." + p.key());
            if (v == null) continue;
            boolean direct = p.rule() == Rule.CONFIG || p.rule() == Rule.KV_HEADS_OR_HEADS;
            if (!direct) continue;
            out.putIfAbsent(p.hfKey(), v instanceof Float f ? (Object) (double) f : v);
        }
        return out;
    }
}
