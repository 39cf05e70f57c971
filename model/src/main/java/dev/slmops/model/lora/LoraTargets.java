package dev.slmops.model.lora;

import dev.slmops.model.arch.Arch;
import dev.slmops.model.arch.ModelConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which projections of a model a LoRA adapter can attach to, by Hugging Face module name, with their shapes, and
 * PEFT's rule for matching {@code target_modules} against those names.
 *
 * <p>The module list mirrors the engine's ModelWeights.bind: Phi-3 has fused {@code self_attn.qkv_proj} and
 * {@code mlp.gate_up_proj} (what PEFT targets there), every other family split q/k/v and gate/up.
 */
public final class LoraTargets {
    private LoraTargets() {
    }

    /** A projection y[out] = W[out, in] x[in] an adapter may target. */
    public record Module(String name, int out, int in) {
    }

    /** The short names an adapter of this architecture can target, in layer order. */
    public static List<String> shortNames(Arch arch) {
        return arch == Arch.PHI3
                ? List.of("qkv_proj", "o_proj", "gate_up_proj", "down_proj")
                : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");
    }

    /** Every LoRA-capable projection of the model, keyed by full HF module name (lm_head last). */
    public static Map<String, Module> all(ModelConfig c) {
        Map<String, Module> m = new LinkedHashMap<>();
        int D = c.hiddenSize(), F = c.intermediateSize();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            if (c.arch() == Arch.PHI3) {
                put(m, p + "self_attn.qkv_proj", c.qDim() + 2 * c.kvDim(), D);
            } else {
                put(m, p + "self_attn.q_proj", c.qDim(), D);
                put(m, p + "self_attn.k_proj", c.kvDim(), D);
                put(m, p + "self_attn.v_proj", c.kvDim(), D);
            }
            put(m, p + "self_attn.o_proj", D, c.qDim());
            if (c.arch() == Arch.PHI3) {
                put(m, p + "mlp.gate_up_proj", 2 * F, D);
            } else {
                put(m, p + "mlp.gate_proj", F, D);
                put(m, p + "mlp.up_proj", F, D);
            }
            put(m, p + "mlp.down_proj", D, F);
        }
        put(m, "lm_head", c.vocabSize(), D);
        return m;
    }

    private static void put(Map<String, Module> m, String name, int out, int in) {
        m.put(name, new Module(name, out, in));
    }

    /**
     * The modules matched by PEFT-style {@code target_modules}: a short name matches every module whose name ends
     * with "." + it (or equals it); "all-linear" means every projection but the output head (PEFT's rule).
     */
    public static List<Module> select(ModelConfig c, List<String> targetModules) {
        if (targetModules.isEmpty()) throw new IllegalArgumentException("target_modules is empty: name at least one "
                + "projection, e.g. " + String.join(",", shortNames(c.arch())));
        boolean allLinear = targetModules.contains("all-linear");
        List<Module> out = new ArrayList<>();
        for (Module m : all(c).values()) {
            boolean hit = (allLinear && !m.name.equals("lm_head")) || targetModules.stream().anyMatch(t -> matches(m.name, t));
            if (hit) out.add(m);
        }
        for (String t : targetModules) {
            if (t.equals("all-linear")) continue;
            if (out.stream().noneMatch(m -> matches(m.name, t))) {
                throw new IllegalArgumentException("target module \"" + t + "\" matches no projection of this "
                        + c.arch().hfModelType + " model; its projections are " + String.join(", ", shortNames(c.arch()))
                        + " (and lm_head)");
            }
        }
        return out;
    }

    /** PEFT's check for one key: {@code name == key} or {@code name} ends with {@code "." + key}. */
    public static boolean matches(String moduleName, String key) {
        return moduleName.equals(key) || moduleName.endsWith("." + key);
    }

    /** PEFT's rank_pattern / alpha_pattern rule: the key as a regex matching a suffix after a dot. */
    public static boolean patternMatches(String moduleName, String patternKey) {
        return Pattern.compile("(.*\\.)?" + patternKey + "$").matcher(moduleName).matches();
    }
}
