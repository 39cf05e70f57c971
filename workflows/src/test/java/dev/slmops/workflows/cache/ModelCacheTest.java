package dev.slmops.workflows.cache;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Pulling from a hub-shaped local server into the cache: resume, checksums, tokens, offline, aliases, rm, clean. */
class ModelCacheTest {
    @TempDir
    Path home;
    FakeHub hub;
    ModelCache cache;
    Map<String, byte[]> model;

    @BeforeEach
    void setUp() throws IOException {
        hub = new FakeHub();
        cache = new ModelCache(home);
        model = new LinkedHashMap<>();
        model.put("config.json", "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8));
        model.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        model.put("model.safetensors", random(300_000, 1));
        model.put("pytorch_model.bin", random(5000, 2)); // another format: not pulled
        model.put("onnx/model.onnx", random(5000, 3));    // sub-folder: not pulled
        hub.add("acme/tiny", model, null);
    }

    @AfterEach
    void tearDown() {
        hub.close();
    }

    private ModelPuller puller(String token) {
        return new ModelPuller(cache, new HubClient(hub.endpoint(), token));
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void pullsTheModelFilesAndResolvesTheHubIdAndAliases() throws IOException {
        ModelPuller.Result r = puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE);
        assertThat(r.commit()).isEqualTo(FakeHub.COMMIT);
        assertThat(r.filesDownloaded()).isEqualTo(3);
        assertThat(Files.readAllBytes(r.path().resolve("model.safetensors"))).isEqualTo(model.get("model.safetensors"));
        assertThat(r.path().resolve("pytorch_model.bin")).doesNotExist();
        assertThat(r.path().resolve("onnx")).doesNotExist();
        assertThat(cache.resolve("acme/tiny")).isEqualTo(r.path());

        cache.setAlias("tiny", "acme/tiny");
        assertThat(cache.resolve("tiny")).isEqualTo(r.path());
        List<ModelCache.Entry> entries = cache.list();
        assertThat(entries).singleElement().satisfies(e -> {
            assertThat(e.repo()).isEqualTo("acme/tiny");
            assertThat(e.revisions()).contains("main");
            assertThat(e.aliases()).containsExactly("tiny");
            assertThat(e.bytes()).isEqualTo(300_000 + model.get("config.json").length + 2);
        });

        // A second pull downloads nothing.
        int before = hub.requests.size();
        ModelPuller.Result again = puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE);
        assertThat(again.filesDownloaded()).isZero();
        assertThat(hub.requests.size() - before).isEqualTo(1); // the listing only

        // rm removes the files and the aliases naming the model.
        assertThat(cache.remove("tiny")).isGreaterThan(300_000);
        assertThat(cache.list()).isEmpty();
        assertThat(cache.aliases()).isEmpty();
        assertThatThrownBy(() -> cache.resolve("acme/tiny")).hasMessageContaining("slmops model pull acme/tiny");
    }

    @Test
    void aHubIdNotInTheCacheIsPulledOnFirstUseAndReadFromTheCacheAfter() throws IOException {
        List<HubRef> pulled = new ArrayList<>();
        java.util.function.Supplier<HubClient> fake = () -> new HubClient(hub.endpoint(), null);
        Path p = ModelPuller.resolveOrPull(cache, "acme/tiny", fake, ModelPuller.Options.defaults(),
                ModelPuller.Progress.NONE, pulled::add);
        assertThat(pulled).extracting(HubRef::toString).containsExactly("acme/tiny");
        assertThat(Files.readAllBytes(p.resolve("model.safetensors"))).isEqualTo(model.get("model.safetensors"));

        java.util.function.Supplier<HubClient> noNetwork = () -> {
            throw new AssertionError("a cached model, a path or an alias needs no hub");
        };
        cache.setAlias("tiny", "acme/tiny");
        for (String text : List.of("acme/tiny", "tiny", p.toString())) {
            assertThat(ModelPuller.resolveOrPull(cache, text, noNetwork, ModelPuller.Options.defaults(),
                    ModelPuller.Progress.NONE, pulled::add)).isEqualTo(p);
        }
        assertThat(pulled).hasSize(1);
        ModelPuller.Options offline = new ModelPuller.Options(true, 4, List.of(), 3);
        assertThatThrownBy(() -> ModelPuller.resolveOrPull(cache, "acme/other", noNetwork, offline,
                ModelPuller.Progress.NONE, pulled::add)).hasMessageContaining("slmops model pull acme/other");
        assertThatThrownBy(() -> ModelPuller.resolveOrPull(cache, "acme/missing", fake, ModelPuller.Options.defaults(),
                ModelPuller.Progress.NONE, pulled::add)).isInstanceOf(IOException.class);
    }

    @Test
    void filesDownloadInParallelUpToTheLimit() throws IOException {
        Map<String, byte[]> many = new LinkedHashMap<>();
        many.put("config.json", "{}".getBytes(StandardCharsets.UTF_8));
        for (int i = 1; i <= 4; i++) many.put("model-0000" + i + "-of-00004.safetensors", random(50_000, 10 + i));
        hub.add("acme/sharded", many, null);
        hub.downloadDelayMillis = 300; // each download lingers: overlapping ones are counted
        ModelPuller.Options four = new ModelPuller.Options(false, 4, List.of(), 3);
        puller(null).pull(HubRef.parse("acme/sharded"), four, ModelPuller.Progress.NONE);
        assertThat(hub.mostDownloadsAtOnce.get()).as("5 files, --parallel 4").isEqualTo(4);

        hub.mostDownloadsAtOnce.set(0);
        cache.remove("acme/sharded");
        ModelPuller.Options one = new ModelPuller.Options(false, 1, List.of(), 3);
        puller(null).pull(HubRef.parse("acme/sharded"), one, ModelPuller.Progress.NONE);
        assertThat(hub.mostDownloadsAtOnce.get()).as("--parallel 1").isEqualTo(1);
    }

    @Test
    void aBrokenConnectionResumesWithAByteRange() throws IOException {
        hub.cutAfter.put("model.safetensors", 100_000);
        ModelPuller.Result r = puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE);
        assertThat(Files.readAllBytes(r.path().resolve("model.safetensors"))).isEqualTo(model.get("model.safetensors"));
        assertThat(hub.rangeRequests.get()).isEqualTo(1);
        assertThat(hub.downloadsOf("model.safetensors")).last().asString().endsWith("bytes=100000-");
    }

    @Test
    void aPartialFileLeftByAKilledPullIsResumedByTheNextPull() throws IOException {
        Path part = cache.downloadsDir(HubRef.parse("acme/tiny"), FakeHub.COMMIT).resolve("model.safetensors.part");
        Files.createDirectories(part.getParent());
        Files.write(part, java.util.Arrays.copyOf(model.get("model.safetensors"), 123_456));
        ModelPuller.Result r = puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE);
        assertThat(Files.readAllBytes(r.path().resolve("model.safetensors"))).isEqualTo(model.get("model.safetensors"));
        assertThat(hub.downloadsOf("model.safetensors")).singleElement().asString().endsWith("bytes=123456-");
        assertThat(r.bytesDownloaded()).isEqualTo(300_000 - 123_456 + model.get("config.json").length + 2);
    }

    @Test
    void aChecksumMismatchFailsCleanlyAndLeavesNothingBehind() throws IOException {
        hub.corrupt.add("model.safetensors");
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("checksum mismatch for model.safetensors")
                .hasMessageContaining("SHA-256");
        assertThat(cache.find(HubRef.parse("acme/tiny"))).isEmpty(); // no ref written: not in the cache
        try (Stream<Path> s = Files.walk(home)) {
            assertThat(s.filter(p -> p.toString().endsWith("model.safetensors") || p.toString().endsWith(".part"))).isEmpty();
        }
        hub.corrupt.clear();
        assertThat(puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE).path())
                .isDirectory();
    }

    @Test
    void aSmallFileIsCheckedAgainstItsGitBlobId() throws IOException {
        hub.corrupt.add("config.json");
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE))
                .hasMessageContaining("checksum mismatch for config.json").hasMessageContaining("git blob SHA-1");
    }

    @Test
    void gatedRepositoriesNeedAToken() throws IOException {
        hub.add("acme/gated", model, "hf_secret");
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/gated"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE))
                .isInstanceOf(HubHttpException.class).hasMessageContaining("HF_TOKEN").hasMessageContaining("401");
        assertThat(puller("hf_secret").pull(HubRef.parse("acme/gated"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE).path())
                .isDirectory();
    }

    @Test
    void offlineNeverTouchesTheNetwork() throws IOException {
        ModelPuller.Options offline = new ModelPuller.Options(true, 4, List.of(), 3);
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/tiny"), offline, ModelPuller.Progress.NONE))
                .hasMessageContaining("--offline");
        assertThat(hub.requests).isEmpty();
        puller(null).pull(HubRef.parse("acme/tiny"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE);
        int before = hub.requests.size();
        assertThat(puller(null).pull(HubRef.parse("acme/tiny"), offline, ModelPuller.Progress.NONE).wasCached()).isTrue();
        assertThat(hub.requests).hasSize(before);
    }

    @Test
    void oneGgufFileByNameAndAClearErrorWhenSeveralAreOnOffer() throws IOException {
        Map<String, byte[]> ggufRepo = new LinkedHashMap<>();
        ggufRepo.put("tiny-q4_0.gguf", random(4000, 4));
        ggufRepo.put("tiny-q8_0.gguf", random(6000, 5));
        ggufRepo.put("README.md", "# tiny".getBytes(StandardCharsets.UTF_8));
        hub.add("acme/tiny-gguf", ggufRepo, null);
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/tiny-gguf"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE))
                .hasMessageContaining("several GGUF files").hasMessageContaining("acme/tiny-gguf:tiny-q8_0.gguf");
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/tiny-gguf:nope.gguf"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE))
                .hasMessageContaining("no file 'nope.gguf'").hasMessageContaining("tiny-q4_0.gguf");
        ModelPuller.Result r = puller(null).pull(HubRef.parse("acme/tiny-gguf:tiny-q4_0.gguf"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE);
        assertThat(r.path().getFileName().toString()).isEqualTo("tiny-q4_0.gguf");
        assertThat(cache.resolve("acme/tiny-gguf:tiny-q4_0.gguf")).isEqualTo(r.path());
        assertThat(cache.resolve("acme/tiny-gguf")).isEqualTo(r.path()); // the only GGUF pulled so far
    }

    @Test
    void unknownRepositoriesAndBadIdsSayWhatIsWrong() {
        assertThatThrownBy(() -> puller(null).pull(HubRef.parse("acme/missing"), ModelPuller.Options.defaults(), ModelPuller.Progress.NONE))
                .hasMessageContaining("HTTP 404");
        assertThatThrownBy(() -> HubRef.parse("../../etc/passwd")).hasMessageContaining("not a hub repository id");
        assertThatThrownBy(() -> HubRef.parse("acme/tiny:../x")).hasMessageContaining("not a file inside a repository");
        assertThatThrownBy(() -> cache.resolve("no/such/thing.gguf")).hasMessageContaining("no such file or directory");
        assertThatThrownBy(() -> cache.setAlias("a/b", "acme/tiny")).hasMessageContaining("alias");
        assertThatThrownBy(() -> cache.remove(home.toString())).hasMessageContaining("never deletes a model given by path");
    }

    @Test
    void cleanRemovesPartialDownloadsAndUnreferencedSnapshots() throws IOException {
        Path part = cache.downloadsDir(HubRef.parse("acme/tiny"), FakeHub.COMMIT).resolve("model.safetensors.part");
        Files.createDirectories(part.getParent());
        Files.write(part, new byte[1000]);
        Path orphan = cache.snapshotDir(HubRef.parse("acme/tiny"), "f".repeat(40)).resolve("config.json");
        Files.createDirectories(orphan.getParent());
        Files.write(orphan, new byte[500]);
        assertThat(cache.clean()).isEqualTo(1500);
        assertThat(part).doesNotExist();
        assertThat(orphan).doesNotExist();
    }
}
