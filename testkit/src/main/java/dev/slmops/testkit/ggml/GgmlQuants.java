package dev.slmops.testkit.ggml;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * ggml's own quantizers and dequantizers (from {@code libggml-base.so} of node-llama-cpp 3.21.1, llama.cpp
 * release {@code v0.4.0}) as a test oracle for our block formats: what llama.cpp would write into a GGUF, and
 * how it reads it back.
 *
 * <p>Types are plain ggml type ids ({@code enum ggml_type}: {@link #F32}, {@link #Q8_0} ... the tensor module's
 * {@code DType.ggmlType}). Bytes are ggml's block layout exactly as stored in a GGUF tensor (little-endian,
 * blocks of {@link #blockSize} values in {@link #typeSize} bytes, rows concatenated).
 *
 * <p>Without an importance matrix, {@code ggml_quantize_chunk} uses the {@code quantize_row_*_ref} reference
 * quantizers for the legacy and K types; with one, the importance-weighted search. All functions here are
 * thread-safe (ggml's quantization tables are initialised once under a lock).
 */
@SuppressWarnings("restricted") // FFM: sizes native pointers that ggml returns
public final class GgmlQuants {
    private GgmlQuants() {
    }

    // enum ggml_type of this release (ggml.h)
    public static final int F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
            Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15, IQ4_NL = 20, IQ4_XS = 23,
            BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39;

    /** The types {@code ggml_quantize_chunk} can write (its switch); any other id would abort the process. */
    private static final Set<Integer> QUANTIZABLE = Set.of(0, 1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 16, 17, 18,
            19, 20, 21, 22, 23, 29, 30, 34, 35, 39, 40, 41, 42);

    private static final ConcurrentHashMap<Integer, MethodHandle> TO_FLOAT = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<Integer, MethodHandle> FROM_FLOAT_REF = new ConcurrentHashMap<>();

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    /** The traits of a type id, checked: ggml asserts (aborts the JVM) on ids out of range. */
    private static MemorySegment traits(int type) {
        if (type < 0 || type >= GgmlNative.GGML_TYPE_COUNT) {
            throw new IllegalArgumentException("ggml type id " + type + " is outside 0.." + (GgmlNative.GGML_TYPE_COUNT - 1));
        }
        try {
            MemorySegment t = ((MemorySegment) GgmlNative.get().getTypeTraits.invokeExact(type))
                    .reinterpret(GgmlNative.TYPE_TRAITS.byteSize());
            if (t.get(JAVA_LONG, GgmlNative.offset("blck_size")) == 0) {
                throw new IllegalArgumentException("ggml type id " + type + " was removed from ggml (no block size)");
            }
            return t;
        } catch (Throwable e) {
            throw rethrow(e);
        }
    }

    /** ggml's name of the type, e.g. {@code "q4_K"}. */
    public static String typeName(int type) {
        MemorySegment p = traits(type).get(ADDRESS, GgmlNative.offset("type_name"));
        return p.reinterpret(64).getString(0, StandardCharsets.UTF_8);
    }

    /** Values per block ({@code ggml_blck_size}): 1 for F32/F16/BF16, 32 for Q8_0/Q4_0, 256 for K-quants. */
    public static int blockSize(int type) {
        traits(type);
        try {
            return (int) (long) GgmlNative.get().blckSize.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes per block ({@code ggml_type_size}): 34 for Q8_0, 18 for Q4_0, 144 for Q4_K, 210 for Q6_K. */
    public static long typeSize(int type) {
        traits(type);
        try {
            return (long) GgmlNative.get().typeSize.invokeExact(type);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes of a row of {@code n} values ({@code ggml_row_size}); {@code n} must be a multiple of the block size. */
    public static long rowSize(int type, long n) {
        requireWholeBlocks(type, n, "row length");
        try {
            return (long) GgmlNative.get().rowSize.invokeExact(type, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static boolean isQuantized(int type) {
        return traits(type).get(JAVA_BYTE, GgmlNative.offset("is_quantized")) != 0;
    }

    /** Whether ggml refuses to quantize this type without an importance matrix (IQ2_XXS, IQ2_XS, IQ1_S). */
    public static boolean requiresImportance(int type) {
        traits(type);
        try {
            return (byte) GgmlNative.get().quantizeRequiresImatrix.invokeExact(type) != 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static void requireWholeBlocks(int type, long n, String what) {
        int block = blockSize(type);
        if (n < 0 || n % block != 0) {
            throw new IllegalArgumentException(what + " " + n + " is not a multiple of " + typeName(type)
                    + "'s block size " + block);
        }
    }

    /**
     * Quantizes {@code nRows} rows of {@code nPerRow} values with {@code ggml_quantize_chunk}.
     *
     * @param src        [nRows][nPerRow] row-major
     * @param importance null, or [nPerRow] importance weights (llama.cpp's imatrix for this tensor)
     * @return nRows * rowSize(type, nPerRow) bytes of ggml blocks
     */
    public static byte[] quantize(int type, float[] src, int nRows, int nPerRow, float[] importance) {
        if (!QUANTIZABLE.contains(type)) {
            throw new IllegalArgumentException("ggml_quantize_chunk cannot write type " + type
                    + (type >= 0 && type < GgmlNative.GGML_TYPE_COUNT ? " (" + typeName(type) + ")" : ""));
        }
        requireWholeBlocks(type, nPerRow, "row length");
        if (nRows < 0 || (long) nRows * nPerRow != src.length) {
            throw new IllegalArgumentException("src has " + src.length + " values, expected nRows " + nRows
                    + " x nPerRow " + nPerRow);
        }
        if (importance != null && importance.length != nPerRow) {
            throw new IllegalArgumentException("importance has " + importance.length + " weights, expected nPerRow " + nPerRow);
        }
        if (importance == null && requiresImportance(type)) {
            throw new IllegalArgumentException(typeName(type) + " cannot be quantized without an importance matrix");
        }
        long bytes = nRows * rowSize(type, nPerRow);
        GgmlNative n = GgmlNative.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(JAVA_FLOAT, src);
            MemorySegment out = arena.allocate(Math.max(1, bytes), 64);
            MemorySegment imatrix = importance == null ? MemorySegment.NULL : arena.allocateFrom(JAVA_FLOAT, importance);
            n.quantizeInit.invokeExact(type);
            long written = (long) n.quantizeChunk.invokeExact(type, in, out, 0L, (long) nRows, (long) nPerRow, imatrix);
            if (written != bytes) {
                throw new IllegalStateException("ggml_quantize_chunk wrote " + written + " bytes, expected " + bytes);
            }
            return out.asSlice(0, bytes).toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Quantizes one row with the type's reference quantizer ({@code from_float_ref} of its traits: the
     * {@code quantize_row_*_ref} functions "for deterministic creation of model files").
     */
    public static byte[] quantizeRef(int type, float[] src) {
        requireWholeBlocks(type, src.length, "value count");
        MethodHandle f = FROM_FLOAT_REF.computeIfAbsent(type, t -> handle(t, "from_float_ref"));
        long bytes = (src.length / blockSize(type)) * typeSize(type);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocateFrom(JAVA_FLOAT, src);
            MemorySegment out = arena.allocate(Math.max(1, bytes), 64);
            f.invokeExact(in, out, (long) src.length);
            return out.asSlice(0, bytes).toArray(JAVA_BYTE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Dequantizes {@code n} values from ggml blocks with the type's {@code to_float} (ggml_get_type_traits).
     *
     * @param blocks exactly (n / blockSize) * typeSize bytes
     * @return [n] values
     */
    public static float[] dequantize(int type, byte[] blocks, int n) {
        requireWholeBlocks(type, n, "value count");
        long bytes = ((long) n / blockSize(type)) * typeSize(type);
        if (blocks.length != bytes) {
            throw new IllegalArgumentException(n + " values of " + typeName(type) + " take " + bytes
                    + " bytes, got " + blocks.length);
        }
        MethodHandle f = TO_FLOAT.computeIfAbsent(type, t -> handle(t, "to_float"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(Math.max(1, bytes), 64);
            MemorySegment.copy(blocks, 0, in, JAVA_BYTE, 0, blocks.length);
            MemorySegment out = arena.allocate(JAVA_FLOAT, Math.max(1, n));
            f.invokeExact(in, out, (long) n);
            return out.asSlice(0, 4L * n).toArray(JAVA_FLOAT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static MethodHandle handle(int type, String field) {
        MemorySegment p = traits(type).get(ADDRESS, GgmlNative.offset(field));
        if (p.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("ggml has no " + field + " for type " + typeName(type));
        }
        return GgmlNative.get().rowConversion(p);
    }

    // ---- F16 / BF16 conversions (ggml's, row at a time) ----

    /** IEEE half bits -> float ({@code ggml_fp16_to_fp32_row}). */
    public static float[] fp16ToFp32(short[] halfs) {
        return toFloats(GgmlNative.get().fp16ToFp32Row, halfs);
    }

    /** float -> IEEE half bits, round to nearest even ({@code ggml_fp32_to_fp16_row}). */
    public static short[] fp32ToFp16(float[] values) {
        return toShorts(GgmlNative.get().fp32ToFp16Row, values);
    }

    /** bfloat16 bits -> float ({@code ggml_bf16_to_fp32_row}). */
    public static float[] bf16ToFp32(short[] bf16) {
        return toFloats(GgmlNative.get().bf16ToFp32Row, bf16);
    }

    /** float -> bfloat16 bits, round to nearest even, NaN kept quiet ({@code ggml_fp32_to_bf16_row_ref}). */
    public static short[] fp32ToBf16(float[] values) {
        return toShorts(GgmlNative.get().fp32ToBf16RowRef, values);
    }

    private static float[] toFloats(MethodHandle row, short[] in) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(JAVA_SHORT, in.length == 0 ? new short[1] : in);
            MemorySegment dst = arena.allocate(JAVA_FLOAT, Math.max(1, in.length));
            row.invokeExact(src, dst, (long) in.length);
            return dst.asSlice(0, 4L * in.length).toArray(JAVA_FLOAT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static short[] toShorts(MethodHandle row, float[] in) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(JAVA_FLOAT, in.length == 0 ? new float[1] : in);
            MemorySegment dst = arena.allocate(JAVA_SHORT, Math.max(1, in.length));
            row.invokeExact(src, dst, (long) in.length);
            return dst.asSlice(0, 2L * in.length).toArray(JAVA_SHORT);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
