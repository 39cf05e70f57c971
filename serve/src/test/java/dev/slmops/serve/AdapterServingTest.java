package dev.slmops.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.engine.KvCache;
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
 * LoRA adapters per request ("model": "base:adapter" or "adapter"): requests for the base and for the adapter,
 * batched together, each give the greedy continuation the engine computes alone with (or without) that adapter.
 */
class AdapterServingTest {

    @Test
    void mixedAdapterBatchesMatchEachAlone(@TempDir Path tmp) throws Exception {
        Path adapterDir = tmp.resolve("fr");
        int n = 24;
        int[] prompt;
        int[] baseAlone, loraAlone;
        String baseText, loraText;
        try (LoadedModel m = LoadedModel.load(TestServer.tinyModel(), new LoadedModel.Options(0, 1))) {
            LoraAdapter a = LoraAdapter.init("fr", m.config(), List.of("q_proj", "v_proj", "down_proj"), 4, 8f, false,
                    11, 0.5);
            PeftAdapterFiles.write(a, adapterDir, DType.F32, "tiny");
            LoraAdapter read = PeftAdapterFiles.read(adapterDir);
            prompt = m.tokenizer().encode("Once upon a time", true);
            baseAlone = greedy(m, prompt, n, null);
            loraAlone = greedy(m, prompt, n, read);
            baseText = m.tokenizer().decode(baseAlone, true);
            loraText = m.tokenizer().decode(loraAlone, true);
        }
        assertThat(loraAlone).as("the adapter changes the output").isNotEqualTo(baseAlone);

        Map<String, Path> models = new LinkedHashMap<>();
        models.put("tiny", TestServer.tinyModel());
        models.put("tiny:fr", adapterDir);
        ServeOptions o = TestServer.options();
        o = new ServeOptions(models, o.host(), 0, null, 8, 16, o.idleTtl(), 0, 1, o.maxBodyBytes(), o.maxTokensCap(),
                o.maxN(), o.prefillRowsPerStep(), o.idleTimeout(), null);
        try (OpenAiServer server = OpenAiServer.start(o)) {
            String ids = java.util.Arrays.toString(prompt);
            List<String> bodies = List.of(
                    "{\"model\":\"tiny\",\"prompt\":" + ids + ",\"max_tokens\":" + n + ",\"temperature\":0,\"logprobs\":0}",
                    "{\"model\":\"tiny:fr\",\"prompt\":" + ids + ",\"max_tokens\":" + n + ",\"temperature\":0,\"logprobs\":0}",
                    "{\"model\":\"tiny\",\"adapter\":\"fr\",\"prompt\":" + ids + ",\"max_tokens\":" + n
                            + ",\"temperature\":0,\"logprobs\":0}");
            CountDownLatch go = new CountDownLatch(1);
            List<Future<TestServer.Reply>> replies = new ArrayList<>();
            try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int round = 0; round < 2; round++) {
                    for (String b : bodies) {
                        replies.add(pool.submit(() -> {
                            go.await();
                            return TestServer.post(server.port(), "/v1/completions", b, null);
                        }));
                    }
                }
                go.countDown();
                for (int i = 0; i < replies.size(); i++) {
                    TestServer.Reply r = replies.get(i).get();
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    int[] expected = i % 3 == 0 ? baseAlone : loraAlone;
                    assertThat(tokenCount(r.json())).isEqualTo(expected.length);
                    assertThat(r.json().at("/choices/0/text").asText()).isEqualTo(i % 3 == 0 ? baseText : loraText);
                }
            }
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
