package dev.slmops.model.init;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.slmops.model.arch.ModelConfig;
import dev.slmops.model.arch.ModelTensors;
import dev.slmops.model.format.hf.HfConfig;
import dev.slmops.model.format.hf.HfModelWriter;
import dev.slmops.model.format.TensorBytes;
import dev.slmops.model.format.safetensors.TensorToWrite;
import dev.slmops.tensor.DType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a randomly initialised model of any supported architecture as a Hugging Face directory: config.json,
 * model.safetensors (streamed, never whole in memory) and tokenizer files. Weights are drawn as transformers
 * initialises them: matrices and embeddings from N(0, initializer_range), norms at their identity (1, or 0 for
 * Gemma's (1 + w)), biases 0. This is where pre-training from scratch starts.
 */
public final class ModelInit {
    private ModelInit() {
    }

    /** The named shapes: real models' sizes (random weights) and tiny ones for tests. */
    public static final List<String> SHAPES = List.of("smollm2-135m", "qwen2.5-0.5b", "llama-3.2-1b", "qwen3-0.6b",
            "phi-4-mini", "gemma-3-270m", "tiny-llama", "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-phi3",
            "tiny-gemma3");

    /**
     * @param config    config.json content (a shape's, or the user's)
     * @param dtype     F32, F16 or BF16
     * @param seed      same seed, same weights
     * @param normNoise 0 for the standard init; > 0 perturbs norms and biases by N(0, normNoise) so that tests
     *                  exercise every weight (a norm of all ones hides a missing multiplication)
     */
    public record Options(ObjectNode config, DType dtype, long seed, double normNoise) {
    }

    /** config.json of a named shape. */
    public static ObjectNode shapeConfig(String shape) {
        if (!SHAPES.contains(shape)) {
            throw new IllegalArgumentException("unknown shape \"" + shape + "\"; known: " + String.join(", ", SHAPES));
        }
        try (InputStream in = ModelInit.class.getResourceAsStream("/dev/slmops/model/shapes/" + shape + ".json")) {
            return (ObjectNode) new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tensors of a random model for {@code config}, each streamed from its own seeded generator. */
    public static List<TensorToWrite> randomTensors(ModelConfig c, Options o, double initStd) {
        List<TensorToWrite> t = new ArrayList<>();
        Draw draw = new Draw(o.seed(), o.dtype());
        double normCenter = c.normPlusOne() ? 0.0 : 1.0;
        for (ModelTensors.Spec s : ModelTensors.of(c)) {
            t.add(switch (s.kind()) {
                case EMBEDDING, MATRIX -> draw.tensor(s.name(), s.shape(), 0, initStd);
                case NORM -> draw.tensor(s.name(), s.shape(), normCenter, o.normNoise());
                case BIAS -> draw.tensor(s.name(), s.shape(), 0, o.normNoise());
            });
        }
        return t;
    }

    /**
     * Writes config.json, the random weights and the given tokenizer files into {@code output} (atomically:
     * nothing is left behind if anything fails).
     *
     * @param tokenizerFiles files to copy in (tokenizer.json, tokenizer_config.json ...), may be empty
     */
    public static Path write(Options o, List<Path> tokenizerFiles, Path output, boolean replace) throws IOException {
        HfConfig hf = HfConfig.fromJson(o.config(), "init config");
        ModelConfig c = ModelConfig.fromHf(hf);
        if (o.dtype() != DType.F32 && o.dtype() != DType.F16 && o.dtype() != DType.BF16) {
            throw new IllegalArgumentException("init writes f32, f16 or bf16 weights, not " + o.dtype());
        }
        ObjectNode config = o.config().deepCopy();
        config.put("torch_dtype", switch (o.dtype()) {
            case F32 -> "float32";
            case F16 -> "float16";
            default -> "bfloat16";
        });
        double std = config.path("initializer_range").asDouble(0.02);
        HfModelWriter w = new HfModelWriter(output).config(config).replaceExisting(replace)
                .tensors(randomTensors(c, new Options(config, o.dtype(), o.seed(), o.normNoise()), std));
        for (Path f : tokenizerFiles) w.copyFile(f);
        ObjectNode gen = config.objectNode();
        if (config.has("bos_token_id")) gen.set("bos_token_id", config.get("bos_token_id"));
        if (config.has("eos_token_id")) gen.set("eos_token_id", config.get("eos_token_id"));
        w.jsonFile("generation_config.json", gen);
        return w.write();
    }

    /** Seeded draws, one generator per tensor (so a tensor's values do not depend on the others' sizes). */
    private static final class Draw {
        private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private final long seed;
        private final DType dtype;
        private int index;

        Draw(long seed, DType dtype) {
            this.seed = seed;
            this.dtype = dtype;
        }

        TensorToWrite tensor(String name, long[] shape, double mean, double std) {
            DType type = dtype;
            long tensorSeed = seed * 0x9E3779B97F4A7C15L + (index++);
            long n = 1;
            for (long d : shape) n *= d;
            final long count = n;
            return new TensorToWrite(name, type, shape, out -> {
                SplittableRandom r = new SplittableRandom(tensorSeed);
                int chunk = (int) Math.min(count, 1 << 16);
                MemorySegment buf = MemorySegment.ofArray(new byte[chunk * 4]);
                for (long done = 0; done < count; done += chunk) {
                    int len = (int) Math.min(chunk, count - done);
                    for (int i = 0; i < len; i++) {
                        buf.setAtIndex(F32_LE, i, (float) (std == 0 ? mean : mean + std * r.nextGaussian()));
                    }
                    TensorBytes.converting(buf.asSlice(0, (long) len * 4), DType.F32, type).writeTo(out);
                }
            });
        }
    }
}
