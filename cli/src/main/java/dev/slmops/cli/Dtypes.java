package dev.slmops.cli;

import dev.slmops.tensor.DType;

import java.util.Locale;

/** Parses the dtype names users type. */
final class Dtypes {
    private Dtypes() {
    }

    static DType floatType(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "f32", "float32", "fp32" -> DType.F32;
            case "f16", "float16", "fp16" -> DType.F16;
            case "bf16", "bfloat16" -> DType.BF16;
            default -> throw new IllegalArgumentException("unsupported dtype \"" + name + "\"; supported: f32, f16, bf16");
        };
    }
}
