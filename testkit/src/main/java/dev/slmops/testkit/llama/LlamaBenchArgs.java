package dev.slmops.testkit.llama;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The command line of {@link LlamaBench#main}: llama-bench's flag names, one value each. */
record LlamaBenchArgs(Path model, LlamaBench.Options options, boolean json) {
    static final String USAGE = """
            usage: LlamaBench --model FILE.gguf [-p 512] [-n 128] [-r 5] [-t 2] [-b 2048] [-ub 512]
                              [-fa auto|on|off] [-ctk f16|f32] [--no-warmup] [--output md|json]
              -p  prompt tokens of the pp test (0: none)      -n  generated tokens of the tg test (0: none)
              -r  repetitions                                 -t  threads
              -b  tokens per llama_decode (pp)                -ub tokens per compute graph
              -fa flash attention (llama-bench's default: auto)
              -ctk K and V cache type (default f16)""";

    /** Parses {@code args}; null for {@code --help}. Throws IllegalArgumentException naming the bad argument. */
    static LlamaBenchArgs parse(String[] args) {
        Path model = null;
        LlamaBench.Options d = LlamaBench.Options.defaults();
        int p = d.nPrompt(), n = d.nGen(), r = d.reps(), t = d.threads(), b = d.nBatch(), ub = d.nUbatch();
        boolean f32Kv = d.f32KvCache(), warmup = d.warmup(), json = false;
        LlamaBench.FlashAttention fa = d.flashAttention();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--no-warmup" -> warmup = false;
                case "-m", "--model", "-p", "--n-prompt", "-n", "--n-gen", "-r", "--repetitions", "-t", "--threads",
                     "-b", "--batch-size", "-ub", "--ubatch-size", "-fa", "--flash-attn", "-ctk", "--cache-type",
                     "-o", "--output" -> {
                    if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                    String v = args[++i];
                    switch (a) {
                        case "-m", "--model" -> model = Path.of(v);
                        case "-p", "--n-prompt" -> p = intValue(a, v);
                        case "-n", "--n-gen" -> n = intValue(a, v);
                        case "-r", "--repetitions" -> r = intValue(a, v);
                        case "-t", "--threads" -> t = intValue(a, v);
                        case "-b", "--batch-size" -> b = intValue(a, v);
                        case "-ub", "--ubatch-size" -> ub = intValue(a, v);
                        case "-fa", "--flash-attn" -> fa = switch (v.toLowerCase(Locale.ROOT)) {
                            case "auto" -> LlamaBench.FlashAttention.AUTO;
                            case "on", "1" -> LlamaBench.FlashAttention.ON;
                            case "off", "0" -> LlamaBench.FlashAttention.OFF;
                            default -> throw new IllegalArgumentException(a + " takes auto, on or off, not " + v);
                        };
                        case "-ctk", "--cache-type" -> f32Kv = switch (v.toLowerCase(Locale.ROOT)) {
                            case "f16" -> false;
                            case "f32" -> true;
                            default -> throw new IllegalArgumentException(a + " takes f16 or f32, not " + v);
                        };
                        default -> json = switch (v.toLowerCase(Locale.ROOT)) {
                            case "json" -> true;
                            case "md" -> false;
                            default -> throw new IllegalArgumentException(a + " takes md or json, not " + v);
                        };
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        if (model == null) throw new IllegalArgumentException("--model FILE.gguf is required");
        if (!Files.isRegularFile(model)) {
            throw new IllegalArgumentException("model file not found: " + model.toAbsolutePath()
                    + " (expected a .gguf file)");
        }
        return new LlamaBenchArgs(model, new LlamaBench.Options(p, n, r, t, b, ub, f32Kv, fa, warmup), json);
    }

    private static int intValue(String flag, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes a whole number, not " + v);
        }
    }
}
