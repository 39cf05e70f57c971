package dev.slmops.model.format.safetensors;

import dev.slmops.tensor.DType;

import java.util.Map;
import java.util.Set;

/**
 * The dtype strings of the safetensors header ({@code "F32"}, {@code "BF16"} ...) and their {@link DType}s.
 *
 * <p>{@link #alignmentRank} is the position of the dtype in the reference implementation's {@code Dtype} enum,
 * which its writer sorts by (descending) before the name, so that larger-aligned tensors come first in the data
 * section: U64 > I64 > F64 > F32 > U32 > I32 > BF16 > F16 > U16 > I16 > F8_E4M3 > F8_E5M2 > I8 > U8 > BOOL.
 */
public final class SafetensorsDtypes {
    private SafetensorsDtypes() {
    }

    private static final Map<String, DType> BY_NAME = Map.of(
            "F64", DType.F64, "F32", DType.F32, "F16", DType.F16, "BF16", DType.BF16,
            "I64", DType.I64, "I32", DType.I32, "I16", DType.I16, "I8", DType.I8,
            "U8", DType.U8, "BOOL", DType.BOOL);

    /** Dtypes the format defines that we do not read yet: named in the error so the user knows it is not corruption. */
    private static final Set<String> KNOWN_UNSUPPORTED = Set.of(
            "F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "U16", "U32", "U64", "C64");

    /** The DType of a header dtype string, or null when it is not one we read (see {@link #unsupportedReason}). */
    public static DType fromName(String name) {
        return BY_NAME.get(name);
    }

    /** Why {@code name} is rejected: a format dtype we do not support, or not a safetensors dtype at all. */
    public static String unsupportedReason(String name) {
        String supported = "supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL";
        if (KNOWN_UNSUPPORTED.contains(name)) {
            return "dtype " + name + " is a valid safetensors dtype that slmops does not read yet (" + supported + ")";
        }
        return "unknown dtype \"" + name + "\" (" + supported + ")";
    }

    /** The header string of a DType; block-quantized (GGUF-only) types have none. */
    public static String nameOf(DType dtype) {
        return switch (dtype) {
            case F64 -> "F64";
            case F32 -> "F32";
            case F16 -> "F16";
            case BF16 -> "BF16";
            case I64 -> "I64";
            case I32 -> "I32";
            case I16 -> "I16";
            case I8 -> "I8";
            case U8 -> "U8";
            case BOOL -> "BOOL";
            default -> throw new IllegalArgumentException(dtype + " cannot be stored in safetensors (a GGUF block-"
                    + "quantized type); dequantize it or write GGUF");
        };
    }

    /** Position in the reference's Dtype enum (ascending alignment); the writer puts higher ranks first. */
    public static int alignmentRank(DType dtype) {
        return switch (dtype) {
            case BOOL -> 0;
            case U8 -> 1;
            case I8 -> 2;
            case I16 -> 5;
            case F16 -> 7;
            case BF16 -> 8;
            case I32 -> 9;
            case F32 -> 11;
            case F64 -> 12;
            case I64 -> 13;
            default -> throw new IllegalArgumentException(dtype + " cannot be stored in safetensors");
        };
    }
}
