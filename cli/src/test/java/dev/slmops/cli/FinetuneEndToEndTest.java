package dev.slmops.cli;

import dev.slmops.model.convert.GgufExport;
import dev.slmops.model.format.gguf.GgufLoraFiles;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.model.lora.LoraWeights;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.parallel.WorkerPool;
import dev.slmops.testkit.llama.LlamaCpp;
import dev.slmops.testkit.llama.LogitsDiff;
import dev.slmops.train.Example;
import dev.slmops.train.FullFineTuning;
import dev.slmops.train.LoraConfig;
import dev.slmops.train.LoraFineTuning;
import dev.slmops.train.Parameters;
import dev.slmops.train.loop.MetricsLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code slmops finetune} on the real training engine, end to end on a tiny random Llama (HF directory with a BPE
 * tokenizer, from {@code slmops init}'s tiny-llama shape): the loss falls, every output exists and nothing half-written
 * is left; the saved PEFT adapter applied unmerged by the inference engine gives the loss the training forward gives
 * with the same values, the merged model and llama.cpp with the written GGUF LoRA give the same logits; a saved full
 * model loads in slmops and, converted to GGUF, in llama.cpp with the same logits; {@code --resume} from a middle
 * checkpoint ends on the same adapter bytes as the uninterrupted run.
 */
class FinetuneEndToEndTest {
    static final List<String> SEVEN = List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

    @TempDir
    static Path shared;
    static Path model, data;

    @BeforeAll
    static void makeModelAndData() throws Exception {
        model = TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig("tiny-llama"), DType.F32, 7, 0.1),
                null, shared.resolve("tiny-llama"), false);
        List<String> lines = new ArrayList<>();
        String[] q = {"What is two plus two?", "Name a colour.", "Say hello."};
        String[] a = {"Four.", "Blue.", "Hello!"};
        for (int i = 0; i < 24; i++) {
            lines.add("{\"prompt\": \"" + q[i % 3] + "\", \"completion\": \" " + a[i % 3] + "\"}");
        }
        data = shared.resolve("train.jsonl");
        Files.write(data, lines);
    }

    @AfterEach
    void restore() {
        FinetuneCommand.backend = null;
    }

    static CliTest.Run finetune(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("finetune", "--model", model.toString(), "--data", data.toString(),
                "--seq-len", "32", "--batch-size", "4", "--save-steps", "0", "--seed", "3", "-o", out.toString()));
        args.addAll(List.of(extra));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertThat(r.exit()).as("finetune %s: %s", args, r.err()).isZero();
        return r;
    }

    static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    static double[] losses(Path out) throws Exception {
        return MetricsLog.read(out.resolve("metrics.jsonl")).stream().filter(n -> n.has("loss"))
                .mapToDouble(n -> n.get("loss").asDouble()).toArray();
    }

    static void assertNothingHalfWritten(Path out) throws Exception {
        try (Stream<Path> all = Files.walk(out)) {
            List<Path> temps = all.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".") || n.contains(".tmp") || n.endsWith(".partial");
            }).toList();
            assertThat(temps).as("temporary files left in %s", out).isEmpty();
        }
    }

    static int[] tokens(LoadedModel m) {
        int[] t = m.tokenizer().encode("What is two plus two? Four. Name a colour. Blue.");
        return t;
    }

    /** Sum over positions 1.. of -log softmax(logits[t-1])[tokens[t]] (the training loss with every token a target). */
    static double lossSum(float[] logits, int[] tokens, int V) {
        double sum = 0;
        for (int t = 1; t < tokens.length; t++) {
            int off = (t - 1) * V;
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[off + v]);
            double z = 0;
            for (int v = 0; v < V; v++) z += Math.exp(logits[off + v] - max);
            sum += -(logits[off + tokens[t]] - max - Math.log(z));
        }
        return sum;
    }

    static float[][] rows(float[] flat, int V) {
        float[][] r = new float[flat.length / V][];
        for (int t = 0; t < r.length; t++) r[t] = Arrays.copyOfRange(flat, t * V, (t + 1) * V);
        return r;
    }

    @Test
    void loraTrainsAndItsFilesGiveTheTrainingForwardInTheEngineTheMergeAndLlamaCpp(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("lora");
        finetune(out, "--method", "lora", "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.1",
                "--max-steps", "12", "--lr", "2e-2", "--scheduler", "cosine", "--merge");
        double[] l = losses(out);
        System.out.println("lora loss curve " + Arrays.toString(l));
        assertThat(l).hasSize(12);
        assertThat(l[l.length - 1]).as("loss falls").isLessThan(l[0] * 0.9);
        assertThat(out.resolve("adapter").resolve(PeftAdapterFiles.CONFIG)).isRegularFile();
        assertThat(out.resolve("adapter").resolve(PeftAdapterFiles.WEIGHTS)).isRegularFile();
        assertThat(out.resolve("adapter.gguf")).isRegularFile();
        assertThat(out.resolve("merged").resolve("config.json")).isRegularFile();
        assertNothingHalfWritten(out);

        // slmops generate --adapter: the PEFT directory and the GGUF LoRA file continue the prompt alike (greedy).
        String[] gen = {"generate", "--model", model.toString(), "-p", "What is two plus two?", "--temp", "0", "-n", "6"};
        CliTest.Run viaPeft = CliTest.run(concat(gen, "--adapter", out.resolve("adapter").toString()));
        CliTest.Run viaGguf = CliTest.run(concat(gen, "--adapter", out.resolve("adapter.gguf").toString()));
        assertThat(viaPeft.exit()).as(viaPeft.err()).isZero();
        assertThat(viaGguf.exit()).as(viaGguf.err()).isZero();
        assertThat(viaPeft.out()).isEqualTo(viaGguf.out());
        assertThat(CliTest.run(concat(gen, "--adapter", tmp.resolve("none").toString())).err()).contains("--adapter");

        Path gguf = tmp.resolve("base.gguf");
        try (ModelFiles f = ModelFiles.open(model)) {
            GgufExport.write(f, DType.F32, gguf, w -> { });
        }
        float[] unmerged;
        int[] tokens;
        int V;
        try (LoadedModel m = LoadedModel.load(model, new LoadedModel.Options(128, 2));
             WorkerPool pool = new WorkerPool(2)) {
            V = m.config().vocabSize();
            tokens = tokens(m);
            LoraAdapter peft = PeftAdapterFiles.read(out.resolve("adapter"));
            unmerged = m.transformer().forward(m.newCache(), tokens, true, peft);
            float[] base = m.transformer().forward(m.newCache(), tokens, true);
            assertThat(LogitsDiff.of(rows(base, V), rows(unmerged, V)).relDiff()).as("the trained adapter changes the logits")
                    .isGreaterThan(1e-3);
            LoraAdapter fromGguf = GgufLoraFiles.read(out.resolve("adapter.gguf"), m.config());
            LogitsDiff.of(rows(unmerged, V), rows(m.transformer().forward(m.newCache(), tokens, true, fromGguf), V)).assertWithin(1e-5);

            // The training forward with the saved values: the same loss as the engine's logits give.
            LoraFineTuning train = LoraFineTuning.create(m.config(), m.files().weights(),
                    new LoraConfig(4, 8f, 0f, SEVEN, false, 99), 128, pool);
            Parameters p = train.parameters();
            for (Parameters.Entry e : p.entries()) {
                String key = e.name().substring("base_model.model.".length());
                boolean isA = key.endsWith(".lora_A.weight");
                LoraWeights w = peft.module(key.substring(0, key.length() - ".lora_A.weight".length()));
                assertThat(w).as("saved adapter module for %s", e.name()).isNotNull();
                System.arraycopy(isA ? w.a() : w.b(), isA ? w.aOffset() : w.bOffset(), p.values(), e.offset(), e.length());
            }
            boolean[] on = new boolean[tokens.length];
            Arrays.fill(on, true);
            double trainingLoss = train.evaluate(List.of(new Example(tokens, on))).sum();
            double engineLoss = lossSum(unmerged, tokens, V);
            System.out.printf("training forward loss %.6f, engine unmerged %.6f%n", trainingLoss, engineLoss);
            assertThat(Math.abs(trainingLoss - engineLoss) / Math.abs(engineLoss)).isLessThan(1e-4);
        }
        try (LoadedModel merged = LoadedModel.load(out.resolve("merged"), new LoadedModel.Options(128, 2))) {
            LogitsDiff d = LogitsDiff.of(rows(merged.transformer().forward(merged.newCache(), tokens, true), V), rows(unmerged, V));
            System.out.println("merged vs unmerged " + d);
            d.assertWithin(1e-4);
        }
        try (LlamaCpp.Model ref = LlamaCpp.load(gguf); LlamaCpp.Context ctx = ref.newContext(128, true)) {
            ctx.setAdapter(ref.loadAdapter(out.resolve("adapter.gguf")), 1f);
            LogitsDiff d = LogitsDiff.of(rows(unmerged, V), ctx.logitsAll(tokens));
            System.out.println("llama.cpp + adapter.gguf vs slmops unmerged " + d);
            d.assertWithin(1e-4);
        }
    }

    @Test
    void modulesToSaveAreTrainedSavedAsPeftDoesAndMergedToTheTrainingForward(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("saved");
        CliTest.Run r = finetune(out, "--method", "lora", "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0",
                "--target-modules", "q_proj,v_proj", "--modules-to-save", "lm_head,norm", "--max-steps", "4", "--lr", "2e-2",
                "--merge");
        assertThat(r.err()).contains("no adapter.gguf: a GGUF LoRA file cannot carry modules_to_save");
        assertThat(out.resolve("adapter.gguf")).doesNotExist();
        assertNothingHalfWritten(out);
        LoraAdapter peft = PeftAdapterFiles.read(out.resolve("adapter"));
        assertThat(peft.modulesToSave()).containsExactly("lm_head", "norm");
        assertThat(peft.savedTensors()).containsKeys("lm_head.weight", "model.norm.weight",
                "model.layers.0.input_layernorm.weight", "model.layers.1.post_attention_layernorm.weight");
        int[] tokens;
        double trainingLoss;
        try (ModelFiles f = ModelFiles.open(model); WorkerPool pool = new WorkerPool(2)) {
            tokens = f.tokenizer().encode("What is two plus two? Four. Name a colour. Blue.");
            LoraFineTuning train = LoraFineTuning.create(f.config(), f.weights(),
                    new LoraConfig(4, 8f, 0f, List.of("q_proj", "v_proj"), false, 99, List.of("lm_head", "norm")), 128, pool);
            Parameters p = train.parameters();
            for (Parameters.Entry e : p.entries()) { // the written values, by PEFT key
                String key = e.name().substring("base_model.model.".length());
                float[] v;
                if (key.endsWith(".lora_A.weight") || key.endsWith(".lora_B.weight")) {
                    LoraWeights w = peft.module(key.substring(0, key.length() - ".lora_A.weight".length()));
                    boolean isA = key.endsWith(".lora_A.weight");
                    v = Arrays.copyOfRange(isA ? w.a() : w.b(), isA ? w.aOffset() : w.bOffset(), (isA ? w.aOffset() : w.bOffset()) + e.length());
                } else {
                    var t = peft.savedTensors().get(key);
                    v = dev.slmops.tensor.quant.Dequantize.toFloat(t.dtype(), t.data(), e.length());
                }
                System.arraycopy(v, 0, p.values(), e.offset(), e.length());
            }
            boolean[] on = new boolean[tokens.length];
            Arrays.fill(on, true);
            trainingLoss = train.evaluate(List.of(new Example(tokens, on))).sum();
        }
        try (LoadedModel merged = LoadedModel.load(out.resolve("merged"), new LoadedModel.Options(128, 2));
             LoadedModel base = LoadedModel.load(model, new LoadedModel.Options(128, 2))) {
            int V = merged.config().vocabSize();
            double mergedLoss = lossSum(merged.transformer().forward(merged.newCache(), tokens, true), tokens, V);
            double baseLoss = lossSum(base.transformer().forward(base.newCache(), tokens, true), tokens, V);
            System.out.printf("modules_to_save: training forward %.6f, merged model in the engine %.6f, base %.6f%n",
                    trainingLoss, mergedLoss, baseLoss);
            assertThat(Math.abs(trainingLoss - mergedLoss) / Math.abs(mergedLoss)).isLessThan(1e-4);
            assertThat(Math.abs(baseLoss - mergedLoss)).as("training changed the model").isGreaterThan(1e-3);

            // Loaded under the adapter as PeftModel.from_pretrained does: the pairs unmerged, the saved head and norms
            // bound in place of the base's; the merged model's loss.
            try (LoadedModel under = LoadedModel.load(model, new LoadedModel.Options(128, 2), out.resolve("adapter"))) {
                assertThat(under.adapter().savedTensors()).isEmpty();
                double underLoss = lossSum(under.transformer().forward(under.newCache(), tokens, true, under.adapter()), tokens, V);
                System.out.printf("modules_to_save: under the adapter, unmerged %.6f%n", underLoss);
                assertThat(Math.abs(underLoss - mergedLoss) / Math.abs(mergedLoss)).isLessThan(1e-5);
            }
        }
        String[] gen = {"generate", "--model", model.toString(), "-p", "What is two plus two?", "--temp", "0", "-n", "6"};
        CliTest.Run viaAdapter = CliTest.run(concat(gen, "--adapter", out.resolve("adapter").toString()));
        CliTest.Run viaMerged = CliTest.run("generate", "--model", out.resolve("merged").toString(), "-p",
                "What is two plus two?", "--temp", "0", "-n", "6");
        assertThat(viaAdapter.exit()).as(viaAdapter.err()).isZero();
        assertThat(viaAdapter.out()).isEqualTo(viaMerged.out());
        // a server applies adapters per request and cannot swap whole modules: refused at start, saying what to do
        CliTest.Run serve = CliTest.run("serve", "--model", "m=" + model, "--adapter", "m:saved=" + out.resolve("adapter"));
        assertThat(serve.exit()).isEqualTo(2);
        assertThat(serve.err()).contains("modules_to_save: lm_head, norm").contains("slmops merge");

        // the output now holds a finished run: refused without --force, replaced with it
        List<String> again = List.of("finetune", "--model", model.toString(), "--data", data.toString(), "--seq-len", "32",
                "--max-steps", "1", "--save-steps", "0", "-o", out.toString());
        CliTest.Run refused = CliTest.run(again.toArray(String[]::new));
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("already holds a finished run's adapter/").contains("--force");
        CliTest.Run forced = CliTest.run(concat(again.toArray(String[]::new), "--force"));
        assertThat(forced.exit()).as(forced.err()).isZero();
        assertThat(PeftAdapterFiles.read(out.resolve("adapter")).savedTensors()).isEmpty();
        assertThat(out.resolve("adapter.gguf")).isRegularFile();
        assertThat(out.resolve("merged")).doesNotExist();
        assertThat(losses(out)).hasSize(1);
        assertNothingHalfWritten(out);

        for (String[] bad : new String[][] {
                {"bogus", "modules_to_save \"bogus\" matches no module of this llama model"},
                {"q_proj", "which also gets a LoRA adapter"}}) {
            CliTest.Run r2 = CliTest.run(concat(again.toArray(String[]::new), "--force", "--modules-to-save", bad[0]));
            assertThat(r2.exit()).as(r2.err()).isEqualTo(2);
            assertThat(r2.err()).contains(bad[1]).doesNotContain("\tat ");
        }
        assertThat(out.resolve("adapter.gguf")).as("a forced run that fails to start keeps the old run").isRegularFile();
    }

    @Test
    void aRecipeOfTwoQloraAdaptersQuantizesTheBaseOnce(@TempDir Path tmp) throws Exception {
        Path recipe = tmp.resolve("two.yaml");
        Files.writeString(recipe, """
                model: %s
                method: qlora
                quant-type: q8_0
                output: %s
                data: %s
                seq-len: 32
                batch-size: 4
                max-steps: 2
                save-steps: 0
                threads: 2
                adapters:
                  - name: a
                    target-modules: [q_proj, v_proj]
                  - name: b
                    lora-r: 2
                    modules-to-save: [lm_head]
                    save-gguf: false
                """.formatted(model, tmp.resolve("runs"), data));
        List<dev.slmops.model.engine.WeightSource> bases = new ArrayList<>();
        TrainingBackend real = new TrainingBackend(w -> { });
        FinetuneCommand.backend = new FinetuneBackend() {
            public dev.slmops.train.Trainable load(FinetuneSpec s) throws java.io.IOException {
                dev.slmops.train.Trainable t = real.load(s);
                bases.add(real.base());
                return t;
            }

            public List<Example> readData(Path j, FinetuneSpec s, dev.slmops.train.Trainable m) throws java.io.IOException {
                return real.readData(j, s, m);
            }

            public List<Path> saveOutputs(dev.slmops.train.Trainable m, FinetuneSpec s, Path o) throws java.io.IOException {
                return real.saveOutputs(m, s, o);
            }

            public WorkerPool pool(dev.slmops.train.Trainable m) {
                return real.pool(m);
            }
        };
        try {
            CliTest.Run r = CliTest.run("finetune", "--config", recipe.toString());
            assertThat(r.exit()).as(r.err()).isZero();
        } finally {
            real.close();
        }
        assertThat(bases).hasSize(2);
        assertThat(bases.get(1)).as("the second adapter reuses the quantized base").isSameAs(bases.get(0));
        assertThat(PeftAdapterFiles.read(tmp.resolve("runs/a/adapter")).modules()).hasSize(4); // 2 layers x q, v
        assertThat(tmp.resolve("runs/a/adapter.gguf")).isRegularFile();
        LoraAdapter b = PeftAdapterFiles.read(tmp.resolve("runs/b/adapter"));
        assertThat(b.rank()).isEqualTo(2);
        assertThat(b.savedTensors()).containsOnlyKeys("lm_head.weight");
        assertThat(tmp.resolve("runs/b/adapter.gguf")).doesNotExist();
        assertNothingHalfWritten(tmp.resolve("runs"));
    }

    @Test
    void qloraQuantizesAnF32BaseAtLoadAndTrains(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("qlora");
        CliTest.Run r = finetune(out, "--method", "qlora", "--qlora-type", "q8_0", "--lora-r", "4", "--lora-alpha", "8",
                "--max-steps", "6", "--lr", "2e-2");
        assertThat(r.err()).doesNotContain("warning: model.layers"); // every projection's rows are whole Q8_0 blocks
        double[] l = losses(out);
        System.out.println("qlora loss curve " + Arrays.toString(l));
        assertThat(l[l.length - 1]).as("loss falls").isLessThan(l[0]);
        assertThat(out.resolve("adapter").resolve(PeftAdapterFiles.WEIGHTS)).isRegularFile();
        assertThat(out.resolve("adapter.gguf")).isRegularFile();
        assertNothingHalfWritten(out);
    }

    @Test
    void qloraKeepsAQuantizedGgufBaseAsStored(@TempDir Path tmp) throws Exception {
        Path f32 = tmp.resolve("f32.gguf"), q8 = tmp.resolve("q8_0.gguf");
        try (ModelFiles f = ModelFiles.open(model)) {
            GgufExport.write(f, DType.F32, f32, w -> { });
        }
        LlamaCpp.quantize(f32, q8, LlamaCpp.FTYPE_MOSTLY_Q8_0, 2); // llama.cpp's own Q8_0 file
        Path out = tmp.resolve("qlora-q8");
        CliTest.Run r = CliTest.run("finetune", "--model", q8.toString(), "--data", data.toString(), "--method", "qlora",
                "--lora-r", "4", "--seq-len", "32", "--batch-size", "4", "--max-steps", "6", "--lr", "2e-2",
                "--save-steps", "0", "-o", out.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        double[] l = losses(out);
        System.out.println("qlora over llama.cpp's Q8_0 GGUF, loss curve " + Arrays.toString(l));
        assertThat(l[l.length - 1]).isLessThan(l[0]);
        try (ModelFiles f = ModelFiles.open(q8)) {
            assertThat(f.weights().require("model.layers.0.self_attn.q_proj.weight").dtype()).isEqualTo(DType.Q8_0);
        }
        try (LlamaCpp.Model ref = LlamaCpp.load(q8); LlamaCpp.Context ctx = ref.newContext(64, true)) {
            ctx.setAdapter(ref.loadAdapter(out.resolve("adapter.gguf")), 1f); // llama.cpp takes the adapter over its Q8_0 base
        }
    }

    @Test
    void fullFineTuningSavesAModelThatSlmopsAndLlamaCppLoad(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("full");
        finetune(out, "--method", "full", "--max-steps", "10", "--lr", "5e-3", "--save-dtype", "f32");
        double[] l = losses(out);
        System.out.println("full loss curve " + Arrays.toString(l));
        assertThat(l[l.length - 1]).as("loss falls").isLessThan(l[0] * 0.9);
        Path saved = out.resolve("model");
        assertThat(saved.resolve("config.json")).isRegularFile();
        assertThat(saved.resolve("tokenizer.json")).isRegularFile();
        assertNothingHalfWritten(out);
        Path gguf = tmp.resolve("full.gguf");
        float[] ours, base;
        int[] tokens;
        int V;
        try (ModelFiles f = ModelFiles.open(saved)) {
            GgufExport.write(f, DType.F32, gguf, w -> { });
        }
        try (LoadedModel m = LoadedModel.load(saved, new LoadedModel.Options(128, 2));
             LoadedModel b = LoadedModel.load(model, new LoadedModel.Options(128, 2))) {
            V = m.config().vocabSize();
            tokens = tokens(m);
            ours = m.transformer().forward(m.newCache(), tokens, true);
            base = b.transformer().forward(b.newCache(), tokens, true);
            assertThat(lossSum(ours, tokens, V)).as("the trained model fits the data better").isLessThan(lossSum(base, tokens, V));
        }
        try (LlamaCpp.Model ref = LlamaCpp.load(gguf); LlamaCpp.Context ctx = ref.newContext(128, true)) {
            LogitsDiff d = LogitsDiff.of(rows(ours, V), ctx.logitsAll(tokens));
            System.out.println("llama.cpp (converted full model) vs slmops " + d);
            d.assertWithin(1e-4);
        }
    }

    @Test
    void aGgufModelTrainsFullAndLoraAndTheSavedModelLoads(@TempDir Path tmp) throws Exception {
        Path gguf = dev.slmops.testkit.ProjectFiles.sharedAsset("llama-2-tiny-random.gguf");
        for (String method : new String[] {"full", "lora"}) {
            Path out = tmp.resolve(method);
            CliTest.Run r = CliTest.run("finetune", "--model", gguf.toString(), "--data", data.toString(), "--method", method,
                    "--lora-r", "2", "--seq-len", "24", "--batch-size", "4", "--max-steps", "3", "--lr", "1e-2",
                    "--save-steps", "0", "-o", out.toString(), "--merge=" + method.equals("lora"));
            assertThat(r.exit()).as("finetune --method %s on a GGUF: %s", method, r.err()).isZero();
            assertNothingHalfWritten(out);
        }
        try (LoadedModel m = LoadedModel.load(tmp.resolve("full").resolve("model"), new LoadedModel.Options(64, 2))) {
            assertThat(m.tokenizer().encode("Once upon a time")).containsExactly(1, 9038, 2501, 263, 931);
        }
        try (LoadedModel m = LoadedModel.load(tmp.resolve("lora").resolve("merged"), new LoadedModel.Options(64, 2))) {
            assertThat(m.config().vocabSize()).isEqualTo(32000); // a GGUF base merges through an HF copy
        }
        try (LoadedModel m = LoadedModel.load(gguf, new LoadedModel.Options(64, 2))) {
            LoraAdapter a = PeftAdapterFiles.read(tmp.resolve("lora").resolve("adapter"));
            a.checkFits(m.config());
            assertThat(GgufLoraFiles.read(tmp.resolve("lora").resolve("adapter.gguf"), m.config()).modules().keySet())
                    .containsExactlyInAnyOrderElementsOf(a.modules().keySet());
        }
    }

    @Test
    void resumeFromAMiddleCheckpointEndsOnTheSameAdapterBytes(@TempDir Path tmp) throws Exception {
        String[] common = {"--method", "lora", "--lora-r", "4", "--lora-alpha", "8", "--lora-dropout", "0.2",
                "--max-steps", "6", "--lr", "1e-2", "--scheduler", "cosine", "--warmup", "1", "--save-total-limit", "0",
                "--threads", "1"};
        Path whole = tmp.resolve("whole");
        List<String> a = new ArrayList<>(List.of(common));
        a.addAll(List.of("--save-steps", "3"));
        String[] withSaves = a.toArray(String[]::new);
        runWithSaves(whole, withSaves);
        // A run "killed" after step 3: its checkpoint-3 and metrics, then --resume.
        Path resumed = tmp.resolve("resumed");
        Files.createDirectories(resumed);
        copyTree(whole.resolve("checkpoint-3"), resumed.resolve("checkpoint-3"));
        Files.copy(whole.resolve("metrics.jsonl"), resumed.resolve("metrics.jsonl")); // records past step 3 are dropped
        List<String> b = new ArrayList<>(a);
        b.add("--resume");
        runWithSaves(resumed, b.toArray(String[]::new));
        // The engine gives the same bits whichever JIT tier runs a kernel (tensor.ops.VectorMath: fixed-tree lane sums,
        // exp and tanh from exact lane-wise operations), so a second uninterrupted run, and a run resumed from the
        // checkpoint (values, AdamW moments, step, data order, dropout counter), end on the same bytes.
        Path again = tmp.resolve("again");
        runWithSaves(again, withSaves);
        assertThat(adapterValues(again)).as("two uninterrupted runs").isEqualTo(adapterValues(whole));
        assertThat(adapterValues(resumed)).as("resumed vs uninterrupted, bit for bit").isEqualTo(adapterValues(whole));
        assertThat(MetricsLog.read(resumed.resolve("metrics.jsonl")).stream().filter(n -> n.has("loss")).count())
                .as("metrics of steps 1..6 (1..3 kept from before the stop)").isEqualTo(6);
    }

    static float[] adapterValues(Path out) throws Exception {
        return PeftAdapterFiles.read(out.resolve("adapter")).values();
    }

    static void runWithSaves(Path out, String[] extra) {
        List<String> args = new ArrayList<>(List.of("finetune", "--model", model.toString(), "--data", data.toString(),
                "--seq-len", "32", "--batch-size", "4", "--seed", "3", "-o", out.toString()));
        args.addAll(List.of(extra));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertThat(r.exit()).as("finetune %s: %s", args, r.err()).isZero();
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path dst = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(dst);
                else Files.copy(p, dst);
            }
        }
    }
}
