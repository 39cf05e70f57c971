package dev.slmops.workflows.merge;

import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.gguf.GgufLoraFiles;
import dev.slmops.model.format.hf.HfModelDir;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.init.ModelInit;
import dev.slmops.model.init.TokenizerForInit;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.load.ModelFiles;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.Dequantize;
import dev.slmops.testkit.llama.LlamaCpp;
import dev.slmops.testkit.llama.LogitsDiff;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The merge workflow: merged models (HF and GGUF, from HF and GGUF bases, PEFT and GGUF LoRA adapters) give the
 * logits of the base with the adapter unmerged; llama.cpp runs the merged GGUF to the same logits.
 */
class AdapterMergeTest {
    static Path model(String shape, Path dir) throws Exception {
        return TokenizerForInit.writeModel(new ModelInit.Options(ModelInit.shapeConfig(shape), DType.F32, 7, 0.1),
                null, dir, false);
    }

    static int[] tokens() {
        int[] t = new int[20];
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < t.length; i++) t[i] = 3 + r.nextInt(250);
        return t;
    }

    static float[][] rows(float[] flat, int V) {
        float[][] r = new float[flat.length / V][];
        for (int t = 0; t < r.length; t++) r[t] = java.util.Arrays.copyOfRange(flat, t * V, (t + 1) * V);
        return r;
    }

    @Test
    void peftAdapterIntoHfModelWithTiedHead(@TempDir Path tmp) throws Exception {
        Path hf = model("tiny-qwen3", tmp.resolve("hf")); // tie_word_embeddings: true
        Path peft = tmp.resolve("peft");
        float[][] unmerged;
        try (LoadedModel m = LoadedModel.load(hf, new LoadedModel.Options(64, 2))) {
            LoraAdapter a = LoraAdapter.init("a", m.config(), List.of("all-linear", "lm_head"), 4, 8, false, 2, 0.05);
            PeftAdapterFiles.write(a, peft, DType.F32, "tiny");
            LoraAdapter back = PeftAdapterFiles.read(peft);
            unmerged = rows(m.transformer().forward(m.newCache(), tokens(), true, back), m.config().vocabSize());
        }
        Path out = tmp.resolve("merged");
        AdapterMerge.merge(hf, peft, out, DType.F32, AdapterMerge.Format.HF, false, w -> { });
        try (HfModelDir d = HfModelDir.open(out)) {
            assertThat(d.tensorNames()).contains("lm_head.weight");
            assertThat(d.config().raw().get("tie_word_embeddings").asBoolean()).isFalse();
        }
        try (LoadedModel m = LoadedModel.load(out, new LoadedModel.Options(64, 2))) {
            float[][] merged = rows(m.transformer().forward(m.newCache(), tokens(), true), m.config().vocabSize());
            LogitsDiff.of(unmerged, merged).assertWithin(1e-4);
        }
        assertThatThrownBy(() -> AdapterMerge.merge(hf, peft, out, DType.F32, AdapterMerge.Format.HF, false, w -> { }))
                .hasMessageContaining("already exists");
        assertThat(Files.list(tmp).filter(p -> p.getFileName().toString().startsWith("."))).isEmpty();
    }

    @Test
    void ggufLoraIntoGgufModelRunsInLlamaCpp(@TempDir Path tmp) throws Exception {
        Path hf = model("tiny-llama", tmp.resolve("hf")); // q/k permutation on both sides
        Path gguf = tmp.resolve("base.gguf"), lora = tmp.resolve("lora.gguf"), out = tmp.resolve("merged.gguf");
        float[][] unmerged;
        try (ModelFiles f = ModelFiles.open(hf)) {
            dev.slmops.model.convert.GgufExport.write(f, DType.F32, gguf, w -> { });
        }
        try (LoadedModel m = LoadedModel.load(gguf, new LoadedModel.Options(64, 2))) {
            LoraAdapter a = LoraAdapter.init("a", m.config(), List.of("q_proj", "k_proj", "v_proj", "o_proj", "down_proj"),
                    8, 16, false, 4, 0.05);
            GgufLoraFiles.write(a, m.config(), lora, DType.F32);
            unmerged = rows(m.transformer().forward(m.newCache(), tokens(), true, a), m.config().vocabSize());
        }
        AdapterMerge.merge(gguf, lora, out, DType.F32, AdapterMerge.formatOf(out), false, w -> { });
        try (LoadedModel m = LoadedModel.load(out, new LoadedModel.Options(64, 2))) {
            LogitsDiff.of(unmerged, rows(m.transformer().forward(m.newCache(), tokens(), true), m.config().vocabSize()))
                    .assertWithin(1e-4);
        }
        try (LlamaCpp.Model ref = LlamaCpp.load(out); LlamaCpp.Context ctx = ref.newContext(64, true)) {
            LogitsDiff d = LogitsDiff.of(unmerged, ctx.logitsAll(tokens()));
            System.out.println("llama.cpp on the merged GGUF vs slmops unmerged: " + d);
            d.assertWithin(1e-4);
        }
        assertThat(Files.list(tmp).filter(p -> p.getFileName().toString().startsWith("."))).isEmpty();
    }

    @Test
    void modulesToSaveReplaceTheBaseTensors(@TempDir Path tmp) throws Exception {
        Path hf = model("tiny-llama", tmp.resolve("hf"));
        Path peft = tmp.resolve("peft");
        float[] norm = new float[64];
        try (ModelFiles f = ModelFiles.open(hf)) {
            int D = f.config().hiddenSize();
            norm = new float[D];
            for (int i = 0; i < D; i++) norm[i] = 0.5f + i;
            LoraAdapter lora = LoraAdapter.init("a", f.config(), List.of("q_proj"), 2, 4, false, 1, 0.05);
            byte[] bytes = new byte[D * 4];
            MemorySegment.copy(MemorySegment.ofArray(norm), 0, MemorySegment.ofArray(bytes), 0, bytes.length);
            StoredTensor saved = new StoredTensor("model.norm.weight", DType.F32, new long[] {D}, MemorySegment.ofArray(bytes));
            LoraAdapter withSaved = new LoraAdapter("a", 2, 4, false, List.of("q_proj"), lora.modules(),
                    Map.of("model.norm.weight", saved));
            PeftAdapterFiles.write(withSaved, peft, DType.F32, null);
        }
        assertThat(Files.readString(peft.resolve("adapter_config.json"))).contains("\"modules_to_save\" : [ \"norm\" ]");
        Path out = tmp.resolve("merged");
        AdapterMerge.merge(hf, peft, out, DType.BF16, AdapterMerge.Format.HF, false, w -> { });
        try (HfModelDir d = HfModelDir.open(out)) {
            StoredTensor t = d.tensor("model.norm.weight");
            assertThat(t.dtype()).isEqualTo(DType.BF16);
            assertThat(Dequantize.toFloat(t.dtype(), t.data(), norm.length)).containsExactly(norm);
        }
    }

    @Test
    void anAdapterForAnotherModelIsRefused(@TempDir Path tmp) throws Exception {
        Path phi = model("tiny-phi3", tmp.resolve("phi"));
        Path llama = model("tiny-llama", tmp.resolve("llama"));
        Path peft = tmp.resolve("peft");
        try (ModelFiles f = ModelFiles.open(llama)) {
            PeftAdapterFiles.write(LoraAdapter.init("q", f.config(), List.of("gate_proj"), 2, 4, false, 1, 0.05), peft,
                    DType.F16, null);
        }
        assertThatThrownBy(() -> AdapterMerge.merge(phi, peft, tmp.resolve("o"), DType.F16, AdapterMerge.Format.HF,
                false, w -> { })).hasMessageContaining("peft").hasMessageContaining("another base model");
        assertThat(tmp.resolve("o")).doesNotExist();
    }
}
