package dev.slmops.testkit.ggml;

import dev.slmops.testkit.ProjectFiles;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The raw FFM binding to ggml's type and quantization functions in {@code libggml-base.so}, transcribed from
 * {@code ggml/include/ggml.h} of the llama.cpp the npm package {@code @node-llama-cpp/linux-x64@3.21.1} ships
 * (node-llama-cpp's llama.cpp release {@code v0.4.0}). Only {@link GgmlQuants} uses it.
 */
@SuppressWarnings("restricted") // FFM: loading ggml and calling it is the point of this class
final class GgmlNative {
    static final String LIB = "libggml-base.so";
    /** {@code GGML_TYPE_COUNT} of this release: valid type ids are 0..GGML_TYPE_COUNT-1. */
    static final int GGML_TYPE_COUNT = 43;

    /**
     * {@code struct ggml_type_traits} (56 bytes): what {@code ggml_get_type_traits(type)} points to.
     */
    static final StructLayout TYPE_TRAITS = MemoryLayout.structLayout(
            ADDRESS.withName("type_name"),                  // const char *
            JAVA_LONG.withName("blck_size"),                // int64_t: values per block
            JAVA_LONG.withName("blck_size_interleave"),     // int64_t
            JAVA_LONG.withName("type_size"),                // size_t: bytes per block
            JAVA_BYTE.withName("is_quantized"),             // bool
            paddingLayout(7),
            ADDRESS.withName("to_float"),                   // void (*)(const void * x, float * y, int64_t k)
            ADDRESS.withName("from_float_ref")              // void (*)(const float * x, void * y, int64_t k)
    ).withName("ggml_type_traits");

    static {
        if (TYPE_TRAITS.byteSize() != 56) throw new AssertionError("ggml_type_traits is 56 bytes in ggml.h");
    }

    static long offset(String field) {
        return TYPE_TRAITS.byteOffset(groupElement(field));
    }

    /** {@code ggml_to_float_t} / {@code ggml_from_float_t}: (const void * x, void * y, int64_t k). */
    static final FunctionDescriptor ROW_CONVERSION = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG);

    final Linker linker = Linker.nativeLinker();
    private final SymbolLookup lookup;
    final Path libPath;

    final MethodHandle getTypeTraits;     // const struct ggml_type_traits * (enum ggml_type)
    final MethodHandle blckSize;          // int64_t (enum ggml_type)
    final MethodHandle typeSize;          // size_t (enum ggml_type)
    final MethodHandle rowSize;           // size_t (enum ggml_type, int64_t ne)
    final MethodHandle quantizeInit;      // void (enum ggml_type)
    final MethodHandle quantizeRequiresImatrix; // bool (enum ggml_type)
    final MethodHandle quantizeChunk;     // size_t (type, const float * src, void * dst, int64 start, int64 nrows, int64 n_per_row, const float * imatrix)
    final MethodHandle fp16ToFp32Row;     // void (const ggml_fp16_t *, float *, int64_t)
    final MethodHandle fp32ToFp16Row;     // void (const float *, ggml_fp16_t *, int64_t)
    final MethodHandle bf16ToFp32Row;     // void (const ggml_bf16_t *, float *, int64_t)
    final MethodHandle fp32ToBf16RowRef;  // void (const float *, ggml_bf16_t *, int64_t): round to nearest even

    private static GgmlNative instance;

    static synchronized GgmlNative get() {
        if (instance == null) instance = new GgmlNative(ProjectFiles.llamaCppLibDir().resolve(LIB));
        return instance;
    }

    private GgmlNative(Path lib) {
        if (!Files.isRegularFile(lib)) {
            throw new IllegalStateException("ggml library not found: " + lib + " (expected the prebuilt binaries "
                    + "of @node-llama-cpp/linux-x64@3.21.1; run scripts/install-references.sh)");
        }
        this.libPath = lib.toAbsolutePath();
        this.lookup = SymbolLookup.libraryLookup(libPath, Arena.global());
        getTypeTraits = fn("ggml_get_type_traits", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        blckSize = fn("ggml_blck_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        typeSize = fn("ggml_type_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT));
        rowSize = fn("ggml_row_size", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG));
        quantizeInit = fn("ggml_quantize_init", FunctionDescriptor.ofVoid(JAVA_INT));
        quantizeRequiresImatrix = fn("ggml_quantize_requires_imatrix", FunctionDescriptor.of(JAVA_BYTE, JAVA_INT));
        quantizeChunk = fn("ggml_quantize_chunk", FunctionDescriptor.of(JAVA_LONG,
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
        fp16ToFp32Row = fn("ggml_fp16_to_fp32_row", ROW_CONVERSION);
        fp32ToFp16Row = fn("ggml_fp32_to_fp16_row", ROW_CONVERSION);
        bf16ToFp32Row = fn("ggml_bf16_to_fp32_row", ROW_CONVERSION);
        fp32ToBf16RowRef = fn("ggml_fp32_to_bf16_row_ref", ROW_CONVERSION);
    }

    private MethodHandle fn(String name, FunctionDescriptor d) {
        MemorySegment symbol = lookup.find(name).orElseThrow(() -> new IllegalStateException(
                "symbol " + name + " not found in " + libPath + ": not the ggml of node-llama-cpp 3.21.1?"));
        return linker.downcallHandle(symbol, d);
    }

    /** A handle on a {@code to_float} / {@code from_float_ref} pointer read from the type traits. */
    MethodHandle rowConversion(MemorySegment functionPointer) {
        return linker.downcallHandle(functionPointer, ROW_CONVERSION);
    }
}
