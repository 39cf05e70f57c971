package dev.slmops.model.arch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The config.json transformers reads for a {@link ModelConfig}: the inverse of {@link ModelConfig#fromHf}, used when
 * a model that came as GGUF is written as a Hugging Face directory.
 */
public final class HfConfigWriter {
    private HfConfigWriter() {
    }

    public static ObjectNode toJson(ModelConfig c, String torchDtype) {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.putArray("architectures").add(c.arch().hfArchitecture);
        j.put("model_type", c.arch().hfModelType);
        j.put("hidden_size", c.hiddenSize());
        j.put("intermediate_size", c.intermediateSize());
        j.put("num_hidden_layers", c.numLayers());
        j.put("num_attention_heads", c.numHeads());
        j.put("num_key_value_heads", c.numKvHeads());
        j.put("head_dim", c.headDim());
        j.put("max_position_embeddings", c.contextLength());
        j.put("rms_norm_eps", c.rmsNormEps());
        j.put("rope_theta", c.ropeTheta());
        j.put("vocab_size", c.vocabSize());
        j.put("tie_word_embeddings", c.tieEmbeddings());
        j.put("torch_dtype", torchDtype);
        switch (c.arch()) {
            case LLAMA -> {
                j.put("hidden_act", "silu");
                j.put("attention_bias", c.attentionBias());
            }
            case QWEN2 -> {
                j.put("hidden_act", "silu");
                j.put("use_sliding_window", c.slidingWindow() > 0);
                if (c.slidingWindow() > 0) j.put("sliding_window", c.slidingWindow());
            }
            case QWEN3 -> {
                j.put("hidden_act", "silu");
                j.put("attention_bias", c.attentionBias());
            }
            case PHI3 -> {
                j.put("hidden_act", "silu");
                if (c.ropeDims() != c.headDim()) j.put("partial_rotary_factor", (double) c.ropeDims() / c.headDim());
                if (c.slidingWindow() > 0) j.put("sliding_window", c.slidingWindow());
                else j.putNull("sliding_window");
            }
            case GEMMA3 -> {
                j.put("hidden_activation", "gelu_pytorch_tanh");
                j.put("query_pre_attn_scalar", Math.round(1.0 / ((double) c.attentionScale() * c.attentionScale())));
                j.put("sliding_window", c.slidingWindow());
                j.put("rope_local_base_freq", c.ropeLocalTheta());
                ArrayNode types = j.putArray("layer_types");
                for (int i = 0; i < c.numLayers(); i++) types.add(c.isSliding(i) ? "sliding_attention" : "full_attention");
                if (c.finalSoftcap() > 0) j.put("final_logit_softcapping", c.finalSoftcap());
                if (c.attnSoftcap() > 0) j.put("attn_logit_softcapping", c.attnSoftcap());
            }
        }
        RopeScaling s = c.ropeScaling();
        if (s != null) {
            ObjectNode r = j.putObject("rope_scaling");
            switch (s.type()) {
                case "linear" -> r.put("rope_type", "linear").put("factor", s.factor());
                case "llama3" -> putLlama3(r, s);
                case "factors" -> putLlama3(r, fitLlama3(c));
                case "longrope" -> {
                    r.put("type", "longrope");
                    ArrayNode lf = r.putArray("long_factor"), sf = r.putArray("short_factor");
                    for (float f : s.longFactor()) lf.add(f);
                    for (float f : s.shortFactor()) sf.add(f);
                    j.put("original_max_position_embeddings", s.originalContext());
                }
                default -> throw new IllegalArgumentException("cannot express rope scaling " + s.type() + " in config.json");
            }
        }
        return j;
    }

    private static void putLlama3(ObjectNode r, RopeScaling s) {
        r.put("rope_type", "llama3").put("factor", s.factor()).put("low_freq_factor", s.lowFreqFactor())
                .put("high_freq_factor", s.highFreqFactor()).put("original_max_position_embeddings", s.originalContext());
    }

    /**
     * llama.cpp stores llama3 scaling only as per-frequency divisors (rope_freqs); config.json needs the four
     * parameters. They are recovered by trying the values Llama 3.x models use and keeping the one that reproduces
     * every divisor (to 1e-4 relative); anything else is an error rather than a guess.
     */
    static RopeScaling fitLlama3(ModelConfig c) {
        float[] want = c.ropeScaling().freqFactors();
        double[] factors = {8, 16, 32, 64, 4, 2};
        double[] lows = {1, 2};
        double[] highs = {4, 8, 2};
        int[] contexts = {8192, 4096, 2048, 16384, 32768, 1024, 512, 256, 128, 64, 32, 16};
        for (double f : factors) {
            for (double lo : lows) {
                for (double hi : highs) {
                    if (hi <= lo) continue;
                    for (int ctx : contexts) {
                        RopeScaling cand = RopeScaling.llama3(f, lo, hi, ctx);
                        if (matches(c, cand, want)) return cand;
                    }
                }
            }
        }
        throw new IllegalArgumentException("the GGUF's rope_freqs do not match any llama3 rope scaling parameters "
                + "tried; config.json cannot express them");
    }

    private static boolean matches(ModelConfig c, RopeScaling s, float[] want) {
        int half = c.ropeDims() / 2;
        for (int i = 0; i < half; i++) {
            float freq = (float) (1.0 / Math.pow(c.ropeTheta(), (double) (2 * i) / c.ropeDims()));
            double wavelen = 2 * Math.PI / freq;
            double lowW = s.originalContext() / s.lowFreqFactor(), highW = s.originalContext() / s.highFreqFactor();
            double divisor;
            if (wavelen < highW) divisor = 1;
            else if (wavelen > lowW) divisor = s.factor();
            else {
                double smooth = (s.originalContext() / wavelen - s.lowFreqFactor()) / (s.highFreqFactor() - s.lowFreqFactor());
                divisor = 1 / ((1 - smooth) / s.factor() + smooth);
            }
            if (Math.abs(divisor - want[i]) > 1e-4 * Math.abs(want[i])) return false;
        }
        return true;
    }
}
