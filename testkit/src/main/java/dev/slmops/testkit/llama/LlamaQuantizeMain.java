package dev.slmops.testkit.llama;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * llama.cpp's {@code llama-quantize} for scripts, through {@link LlamaCpp#quantize}:
 * {@code java -cp <testkit classpath> dev.slmops.testkit.llama.LlamaQuantizeMain IN.gguf OUT.gguf TYPE [--pure]
 * [--threads N]}. With {@code --pure} every 2-D tensor gets TYPE (no Q6_K output tensor, no K-quant mix), so an
 * engine that reads only TYPE can run the file. The output is written atomically.
 */
public final class LlamaQuantizeMain {
    private LlamaQuantizeMain() {
    }

    /** The {@code llama_ftype} of each type name llama-quantize accepts (the common ones). */
    static final Map<String, Integer> FTYPES = Map.ofEntries(
            Map.entry("f32", LlamaCpp.FTYPE_ALL_F32),
            Map.entry("f16", LlamaCpp.FTYPE_MOSTLY_F16),
            Map.entry("bf16", LlamaCpp.FTYPE_MOSTLY_BF16),
            Map.entry("q8_0", LlamaCpp.FTYPE_MOSTLY_Q8_0),
            Map.entry("q4_0", LlamaCpp.FTYPE_MOSTLY_Q4_0),
            Map.entry("q4_1", LlamaCpp.FTYPE_MOSTLY_Q4_1),
            Map.entry("q5_0", 8),
            Map.entry("q5_1", 9),
            Map.entry("q2_k", 10),
            Map.entry("q3_k_s", 11),
            Map.entry("q3_k_m", 12),
            Map.entry("q3_k_l", 13),
            Map.entry("q4_k_s", 14),
            Map.entry("q4_k_m", LlamaCpp.FTYPE_MOSTLY_Q4_K_M),
            Map.entry("q5_k_s", 16),
            Map.entry("q5_k_m", LlamaCpp.FTYPE_MOSTLY_Q5_K_M),
            Map.entry("q6_k", LlamaCpp.FTYPE_MOSTLY_Q6_K));

    static final String USAGE = "usage: LlamaQuantizeMain IN.gguf OUT.gguf TYPE [--pure] [--threads N]\n"
            + "  TYPE: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m,"
            + " q6_k";

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("llama-quantize (slmops testkit): " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("llama-quantize (slmops testkit): " + e.getMessage());
            System.exit(1);
        }
    }

    static void run(String[] args) {
        String[] positional = new String[3];
        int count = 0;
        boolean pure = false;
        int threads = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pure" -> pure = true;
                case "--threads" -> {
                    if (i + 1 >= args.length) throw bad("--threads needs a value");
                    try {
                        threads = Integer.parseInt(args[++i]);
                    } catch (NumberFormatException e) {
                        throw bad("--threads takes a whole number, not " + args[i]);
                    }
                    if (threads < 1) throw bad("--threads must be >= 1");
                }
                case "-h", "--help" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    if (args[i].startsWith("-") || count == 3) throw bad("unexpected argument " + args[i]);
                    positional[count++] = args[i];
                }
            }
        }
        if (count != 3) throw bad("needs IN.gguf OUT.gguf TYPE");
        Path in = Path.of(positional[0]);
        Path out = Path.of(positional[1]);
        Integer ftype = FTYPES.get(positional[2].toLowerCase(Locale.ROOT));
        if (ftype == null) throw bad("unknown type " + positional[2]);
        if (!Files.isRegularFile(in)) throw bad("input not found: " + in.toAbsolutePath() + " (expected a .gguf file)");
        LlamaCpp.quantize(in, out, ftype, threads, pure);
    }

    private static IllegalArgumentException bad(String message) {
        return new IllegalArgumentException(message);
    }
}
