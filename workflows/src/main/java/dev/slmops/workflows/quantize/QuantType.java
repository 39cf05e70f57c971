package dev.slmops.workflows.quantize;

import dev.slmops.tensor.DType;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@code slmops quantize --type} accepts: llama.cpp's file types ({@code llama_ftype}) with their
 * llama-quantize names. A type names a mix: {@link #baseType} for most matrices, with llama.cpp's per-tensor
 * upgrades ({@link TensorTypeRules}) unless {@code --pure}. As in llama-quantize, {@code q3_k}, {@code q4_k} and
 * {@code q5_k} are the _M mixes.
 */
public enum QuantType {
    F32(0, DType.F32),
    F16(1, DType.F16),
    BF16(32, DType.BF16),
    Q8_0(7, DType.Q8_0),
    Q4_0(2, DType.Q4_0),
    Q4_1(3, DType.Q4_1),
    Q5_0(8, DType.Q5_0),
    Q5_1(9, DType.Q5_1),
    Q2_K(10, DType.Q2_K),
    Q3_K_S(11, DType.Q3_K),
    Q3_K_M(12, DType.Q3_K),
    Q3_K_L(13, DType.Q3_K),
    Q4_K_S(14, DType.Q4_K),
    Q4_K_M(15, DType.Q4_K),
    Q5_K_S(16, DType.Q5_K),
    Q5_K_M(17, DType.Q5_K),
    Q6_K(18, DType.Q6_K);

    /** llama.cpp's {@code llama_ftype}, stored as {@code general.file_type}. */
    public final int ftype;
    /** The type of the matrices the mix does not single out. */
    public final DType baseType;

    QuantType(int ftype, DType baseType) {
        this.ftype = ftype;
        this.baseType = baseType;
    }

    /** The name users type: {@code q4_k_m}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a type name (case-insensitive; q3_k/q4_k/q5_k are the _M mixes), or says which names exist. */
    public static QuantType parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        switch (n) {
            case "Q3_K" -> n = "Q3_K_M";
            case "Q4_K" -> n = "Q4_K_M";
            case "Q5_K" -> n = "Q5_K_M";
            default -> { }
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unsupported quantization type \"" + name + "\"; supported: " + supportedNames());
        }
    }

    public static String supportedNames() {
        return Arrays.stream(values()).map(QuantType::cliName).collect(Collectors.joining(", "))
                + " (q3_k, q4_k, q5_k = the _m mixes)";
    }
}
