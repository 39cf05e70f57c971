package dev.slmops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.engine.KvCache;
import dev.slmops.model.format.gguf.GgufLoraFiles;
import dev.slmops.model.format.peft.PeftAdapterFiles;
import dev.slmops.model.load.LoadedModel;
import dev.slmops.model.lora.LoraAdapter;
import dev.slmops.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * LoRA adapters per request ("model": "base:adapter" or "adapter"): requests for the base, for a PEFT adapter and
 * for a GGUF LoRA, batched together (one forward call carrying the three), each give the greedy continuation the
 * engine computes alone with (or without) that adapter.
 */
class AdapterServingTest {

    @Test
    void mixedAdapterBatchesMatchEachAlone(@TempDir Path tmp) throws Exception {
        Path adapterDir = tmp.resolve("fr");
        Path ggufAdapter = tmp.resolve("de.gguf");
        int n = 48;
        int[] prompt;
        int[] baseAlone, loraAlone, ggufAlone;
        String baseText, loraText, ggufText;
        try (LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1))) {
            LoraAdapter a = LoraAdapter.init("fr", m.config(), List.of("q_proj", "v_proj", "down_proj"), 4, 8f, false,
                    11, 0.5);
            PeftAdapterFiles.write(a, adapterDir, DType.F32, "tiny");
            LoraAdapter read = PeftAdapterFiles.read(adapterDir);
            LoraAdapter de = LoraAdapter.init("de", m.config(), List.of("k_proj", "o_proj", "up_proj"), 4, 8f, false,
                    23, 0.5);
            GgufLoraFiles.write(de, m.config(), ggufAdapter, DType.F32);
            LoraAdapter deRead = GgufLoraFiles.read(ggufAdapter, m.config());
            prompt = m.tokenizer().encode("Once upon a time", true);
            baseAlone = greedy(m, prompt, n, null);
            loraAlone = greedy(m, prompt, n, read);
            ggufAlone = greedy(m, prompt, n, deRead);
            baseText = m.tokenizer().decode(baseAlone, true);
            loraText = m.tokenizer().decode(loraAlone, true);
            ggufText = m.tokenizer().decode(ggufAlone, true);
        }
        assertThat(loraAlone).as("the adapter changes the output").isNotEqualTo(baseAlone);
        assertThat(ggufAlone).as("the GGUF adapter changes the output").isNotEqualTo(baseAlone).isNotEqualTo(loraAlone);

        Map<String, Path> models = new LinkedHashMap<>();
        models.put("tiny", TestServer.tinyModel());
        models.put("tiny:fr", adapterDir);
        models.put("tiny:de", ggufAdapter);
        ServeOptions o = TestServer.options();
        o = new ServeOptions(models, o.host(), 0, null, 8, 16, o.idleTtl(), 0, 1, o.maxBodyBytes(), o.maxTokensCap(),
                o.maxN(), o.prefillRowsPerStep(), o.idleTimeout(), null);
        try (OpenAiServer server = OpenAiServer.start(o)) {
            String ids = java.util.Arrays.toString(prompt);
            List<String> bodies = List.of(
                    "{\"model\":\"tiny\",\"prompt\":" + ids + ",\"max_tokens\":" + n + ",\"temperature\":0,\"logprobs\":0}",
                    "{\"model\":\"tiny:fr\",\"prompt\":" + ids + ",\"max_tokens\":" + n + ",\"temperature\":0,\"logprobs\":0}",
                    "{\"model\":\"tiny\",\"adapter\":\"fr\",\"prompt\":" + ids + ",\"max_tokens\":" + n
                            + ",\"temperature\":0,\"logprobs\":0}",
                    "{\"model\":\"tiny:de\",\"prompt\":" + ids + ",\"max_tokens\":" + n + ",\"temperature\":0}");
            int[][] expected = {baseAlone, loraAlone, loraAlone, ggufAlone};
            String[] expectedText = {baseText, loraText, loraText, ggufText};
            // Rounds of the four requests at once, each checked; whether one forward call carries all three
            // adapters depends on arrival times, so rounds go on (at most 8) until one has.
            int mostAdapters = 0;
            for (int round = 0; round < 8 && mostAdapters < 3; round++) {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<TestServer.Reply>> replies = new ArrayList<>();
                try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (String b : bodies) {
                        replies.add(pool.submit(() -> {
                            go.await();
                            return TestServer.post(server.port(), "/v1/completions", b, null);
                        }));
                    }
                    go.countDown();
                    for (int k = 0; k < replies.size(); k++) {
                        TestServer.Reply r = replies.get(k).get();
                        assertThat(r.status()).as(r.body()).isEqualTo(200);
                        assertThat(tokenCount(r.json())).isEqualTo(expected[k].length);
                        assertThat(r.json().at("/choices/0/text").asText()).as(bodies.get(k)).isEqualTo(expectedText[k]);
                    }
                }
                mostAdapters = server.models().loadedModels().getFirst().scheduler().mostAdaptersInOneStep();
            }
            assertThat(mostAdapters).as("base, PEFT and GGUF adapters in one forward call")
                    .isEqualTo(3);
            // The texts: base replies equal each other, adapter replies equal each other and differ from the base.
            JsonNode base = TestServer.post(server.port(), "/v1/completions", bodies.get(0), null).json();
            JsonNode lora = TestServer.post(server.port(), "/v1/completions", bodies.get(1), null).json();
            assertThat(lora.at("/choices/0/text").asText()).isNotEqualTo(base.at("/choices/0/text").asText());
            assertThat(TestServer.get(server.port(), "/v1/models", null).body()).contains("\"tiny:fr\"");
        }
    }

    /** Greedy ids of the engine alone: the prompt, then n argmax steps (stopping at an end token, as the server does). */
    static int[] greedy(LoadedModel m, int[] prompt, int n, LoraAdapter adapter) {
        KvCache cache = m.newCache();
        float[] logits = m.transformer().forward(cache, prompt, false, adapter);
        int[] out = new int[n];
        int count = 0;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
            if (m.tokenizer().specials().isEos(best)) break;
            out[count++] = best;
            if (i + 1 < n) logits = m.transformer().forward(cache, new int[]{best}, false, adapter);
        }
        return java.util.Arrays.copyOf(out, count);
    }

    static int tokenCount(JsonNode completion) {
        return completion.at("/usage/completion_tokens").asInt();
    }
}
