package dev.slmops.testkit.llama;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The activation quantizers of the ggml CPU backend that llama.cpp loaded for this machine (one of the
 * {@code libggml-cpu-<variant>.so} libraries, e.g. haswell on an AVX2 CPU): {@code quantize_row_q8_0},
 * {@code quantize_row_q8_1} and {@code quantize_row_q8_K}, the functions ggml runs on each activation row before a
 * matmul with Q4_0/Q5_0/Q8_0, Q4_1/Q5_1 and K-quant weights (their {@code vec_dot_type}). A test oracle for our
 * rounding of activations: the very code llama.cpp's numbers come from, not the {@code _ref} quantizers.
 *
 * <p>The variant library is found in {@code /proc/self/maps} after llama.cpp has loaded it, then opened again by
 * path (the dynamic loader hands back the loaded copy) to look its exported functions up.
 */
public final class GgmlCpuActivations {
    private GgmlCpuActivations() {
    }

    /**
     * One row quantized by ggml, block by block.
     *
     * @param d   the scale of each block (q8_0/q8_1: per 32, F16 widened; q8_K: per 256, float)
     * @param q   the quants, one per element
     * @param sum q8_1: s of each 32-block (F16 widened, d * sum q); q8_K: bsums of each 16 (integers); q8_0: empty
     */
    public record Q8Row(float[] d, byte[] q, float[] sum) {
    }

    private static MethodHandle q8_0, q8_1, q8_K;
    private static Path variant;

    /** The loaded CPU backend library's path (for messages). */
    public static synchronized Path variant() {
        init();
        return variant;
    }

    /** ggml's q8_0 of x (length a multiple of 32). */
    public static Q8Row q8_0(float[] x) {
        init();
        return run(q8_0, x, 32, 34, (blocks, i, d, q, s) -> {
            d[i] = Float.float16ToFloat(blocks.get(JAVA_SHORT, 34L * i));
            MemorySegment.copy(blocks, JAVA_BYTE, 34L * i + 2, q, 32 * i, 32);
        }, 0);
    }

    /** ggml's q8_1 of x (length a multiple of 32). */
    public static Q8Row q8_1(float[] x) {
        init();
        return run(q8_1, x, 32, 36, (blocks, i, d, q, s) -> {
            d[i] = Float.float16ToFloat(blocks.get(JAVA_SHORT, 36L * i));
            s[i] = Float.float16ToFloat(blocks.get(JAVA_SHORT, 36L * i + 2));
            MemorySegment.copy(blocks, JAVA_BYTE, 36L * i + 4, q, 32 * i, 32);
        }, 1);
    }

    /** ggml's q8_K of x (length a multiple of 256): float d, 256 int8 quants, 16 int16 bsums per block. */
    public static Q8Row q8_K(float[] x) {
        init();
        return run(q8_K, x, 256, 292, (blocks, i, d, q, s) -> {
            d[i] = blocks.get(JAVA_FLOAT, 292L * i);
            MemorySegment.copy(blocks, JAVA_BYTE, 292L * i + 4, q, 256 * i, 256);
            for (int j = 0; j < 16; j++) s[16 * i + j] = blocks.get(JAVA_SHORT, 292L * i + 260 + 2L * j);
        }, 16);
    }

    private interface BlockReader {
        void read(MemorySegment blocks, int i, float[] d, byte[] q, float[] s);
    }

    private static Q8Row run(MethodHandle fn, float[] x, int block, int blockBytes, BlockReader reader, int sumsPerBlock) {
        if (x.length % block != 0) {
            throw new IllegalArgumentException("ggml quantizes activation rows of whole " + block + "-blocks, got " + x.length);
        }
        int nb = x.length / block;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocateFrom(JAVA_FLOAT, x);
            MemorySegment dst = arena.allocate((long) nb * blockBytes, 32);
            fn.invokeExact(src, dst, (long) x.length);
            float[] d = new float[nb], s = new float[nb * sumsPerBlock];
            byte[] q = new byte[x.length];
            for (int i = 0; i < nb; i++) reader.read(dst, i, d, q, s);
            return new Q8Row(d, q, s);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("calling ggml's activation quantizer in " + variant + " failed: " + t, t);
        }
    }

    private static synchronized void init() {
        if (q8_0 != null) return;
        LlamaNative n = LlamaCpp.lib(); // loads the CPU backend variant for this CPU
        variant = loadedCpuBackend(n.libDir);
        SymbolLookup lib = SymbolLookup.libraryLookup(variant, Arena.global());
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor row = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG); // (const float *, void *, int64 k)
        MethodHandle[] fns = new MethodHandle[3];
        String[] names = {"quantize_row_q8_0", "quantize_row_q8_1", "quantize_row_q8_K"};
        for (int i = 0; i < 3; i++) {
            String name = names[i];
            MemorySegment sym = lib.find(name).orElseThrow(() -> new IllegalStateException(
                    name + " is not exported by " + variant + ": is it llama.cpp " + LlamaNative.RELEASE + "?"));
            fns[i] = linker.downcallHandle(sym, row);
        }
        q8_1 = fns[1];
        q8_K = fns[2];
        q8_0 = fns[0];
    }

    /** The libggml-cpu-*.so from {@code libDir} that this process has mapped. */
    private static Path loadedCpuBackend(Path libDir) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int at = line.indexOf('/');
                if (at < 0) continue;
                Path p = Path.of(line.substring(at).trim());
                String name = p.getFileName().toString();
                if (name.startsWith("libggml-cpu-") && name.endsWith(".so") && p.startsWith(libDir)) return p;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/self/maps to find ggml's CPU backend: " + e, e);
        }
        throw new IllegalStateException("no libggml-cpu-*.so from " + libDir + " is loaded in this process"
                + " (llama.cpp loads one at start-up; is this Linux?)");
    }
}
