package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.tensor.quant.FloatConversions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsWriterTest {

    private static TensorToWrite f32(String name, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i + 0.25f;
        return TensorToWrite.ofFloats(name, new long[]{n}, v, DType.F32);
    }

    private static List<Path> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void headerIsPaddedTo8AndMetadataDefaultsToFormatPt(@TempDir Path dir) throws Exception {
        for (int nameLen = 1; nameLen <= 9; nameLen++) {
            Path p = dir.resolve("t" + nameLen + ".safetensors");
            SafetensorsWriter.write(p, List.of(f32("x".repeat(nameLen), 3)));
            byte[] b = Files.readAllBytes(p);
            long n = ByteBuffer.wrap(b, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(n % 8).isZero();
            String header = new String(b, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8);
            assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"},").matches("(?s).*\\} *");
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
                assertThat(FloatConversions.read(DType.F32, f.tensor("x".repeat(nameLen)).data(), 2)).isEqualTo(2.25f);
            }
        }
    }

    @Test
    void convertsBetweenF32F16AndBf16OnWrite(@TempDir Path dir) throws Exception {
        float[] v = {1f, 1f + 0x1p-9f, -65504f, 3.3e-8f, 1e38f};
        Path src = dir.resolve("src.safetensors");
        SafetensorsWriter.write(src, List.of(TensorToWrite.ofFloats("w", new long[]{5}, v, DType.F32)));
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            StoredTensor w = f.tensor("w");
            Path half = dir.resolve("half.safetensors"), bf = dir.resolve("bf.safetensors");
            SafetensorsWriter.write(half, List.of(TensorToWrite.converted(w, DType.F16)));
            SafetensorsWriter.write(bf, List.of(TensorToWrite.converted(w, DType.BF16)));
            try (SafetensorsFile h = SafetensorsFile.open(half); SafetensorsFile b = SafetensorsFile.open(bf)) {
                assertThat(h.tensor("w").dtype()).isEqualTo(DType.F16);
                assertThat(b.tensor("w").dtype()).isEqualTo(DType.BF16);
                for (int i = 0; i < v.length; i++) {
                    assertThat(FloatConversions.read(DType.F16, h.tensor("w").data(), i))
                            .isEqualTo(Float.float16ToFloat(FloatConversions.f32ToF16Reference(v[i])));
                    assertThat(FloatConversions.read(DType.BF16, b.tensor("w").data(), i))
                            .isEqualTo(FloatConversions.bf16ToF32(FloatConversions.f32ToBf16Reference(v[i])));
                }
                // and back up: BF16 -> F32 is exact
                Path back = dir.resolve("back.safetensors");
                SafetensorsWriter.write(back, List.of(TensorToWrite.converted(b.tensor("w"), DType.F32)));
                try (SafetensorsFile r = SafetensorsFile.open(back)) {
                    for (int i = 0; i < v.length; i++) {
                        assertThat(FloatConversions.read(DType.F32, r.tensor("w").data(), i))
                                .isEqualTo(FloatConversions.read(DType.BF16, b.tensor("w").data(), i));
                    }
                }
            }
            assertThatThrownBy(() -> TensorToWrite.converted(w, DType.I32)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("cannot convert F32 to I32");
        }
    }

    @Test
    void aFailingSourceLeavesNoFileAndNoTemp(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.safetensors");
        TensorToWrite broken = new TensorToWrite("b", DType.F32, new long[]{4}, out -> {
            out.write(ByteBuffer.allocate(4));
            throw new IOException("source failed half way");
        });
        assertThatThrownBy(() -> SafetensorsWriter.write(p, List.of(f32("a", 2), broken)))
                .isInstanceOf(IOException.class).hasMessageContaining("source failed half way");
        assertThat(listing(dir)).isEmpty();

        TensorToWrite shortSource = new TensorToWrite("s", DType.F32, new long[]{4}, out -> out.write(ByteBuffer.allocate(12)));
        assertThatThrownBy(() -> SafetensorsWriter.write(p, List.of(shortSource)))
                .hasMessageContaining("tensor \"s\" wrote 12 bytes, expected 16");
        assertThat(listing(dir)).isEmpty();

        // An existing file is replaced only by a complete new one.
        SafetensorsWriter.write(p, List.of(f32("old", 1)));
        assertThatThrownBy(() -> SafetensorsWriter.write(p, List.of(broken))).isInstanceOf(IOException.class);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.names()).containsExactly("old");
        }
        assertThat(listing(dir)).containsExactly(p);
    }

    @Test
    void rejectsDuplicateNamesAndUnstorableTypes(@TempDir Path dir) {
        Path p = dir.resolve("m.safetensors");
        assertThatThrownBy(() -> SafetensorsWriter.write(p, List.of(f32("a", 1), f32("a", 2))))
                .hasMessageContaining("duplicate tensor name \"a\"");
        assertThatThrownBy(() -> SafetensorsWriter.write(p, List.of(TensorToWrite.ofBytes("q", DType.Q8_0, new long[]{32}, new byte[34]))))
                .hasMessageContaining("Q8_0 cannot be stored in safetensors");
        assertThat(Files.exists(p)).isFalse();
    }

    @Test
    void shardsAsHuggingFaceDoes(@TempDir Path dir) throws Exception {
        // sizes in bytes: a 40, b 40, c 100 (over the limit: own shard, listed first as HF does), d 16, e 40;
        // limit 96: a+b+d = 96 fits exactly (HF splits only when the sum would exceed the limit)
        List<TensorToWrite> ts = List.of(f32("a", 10), f32("b", 10), f32("c", 25), f32("d", 4), f32("e", 10));
        List<List<TensorToWrite>> plan = ShardedSafetensorsWriter.plan(ts, 96);
        assertThat(plan.stream().map(s -> s.stream().map(TensorToWrite::name).toList()).toList())
                .containsExactly(List.of("c"), List.of("a", "b", "d"), List.of("e"));

        ShardedSafetensorsWriter.Result r = ShardedSafetensorsWriter.write(dir, ts, 96);
        assertThat(listing(dir).stream().map(p -> p.getFileName().toString()).toList()).containsExactly(
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json");
        JsonNode index = new ObjectMapper().readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertThat(index.get("metadata").get("total_size").asLong()).isEqualTo(236);
        assertThat(index.get("weight_map").get("c").asText()).isEqualTo("model-00001-of-00003.safetensors");
        assertThat(index.get("weight_map").get("e").asText()).isEqualTo("model-00003-of-00003.safetensors");
        // transformers' layout: sorted keys, two-space indent, "key": value
        assertThat(Files.readString(dir.resolve("model.safetensors.index.json"))).startsWith(
                "{\n  \"metadata\": {\n    \"total_size\": 236\n  },\n  \"weight_map\": {\n    \"a\": \"model-00002-of-00003.safetensors\",");
        assertThat(r.index().weightMap()).hasSize(5);

        try (SafetensorsShards s = SafetensorsShards.openIndex(dir.resolve("model.safetensors.index.json"))) {
            assertThat(s.names()).containsExactly("a", "b", "c", "d", "e");
            assertThat(FloatConversions.read(DType.F32, s.tensor("e").data(), 9)).isEqualTo(9.25f);
            assertThat(s.files()).hasSize(3);
        }
    }

    @Test
    void oneShardIsPlainModelSafetensorsWithoutIndex(@TempDir Path dir) throws Exception {
        ShardedSafetensorsWriter.Result r = ShardedSafetensorsWriter.write(dir, List.of(f32("a", 2)), 1 << 20);
        assertThat(r.index()).isNull();
        assertThat(listing(dir)).containsExactly(dir.resolve("model.safetensors"));
    }

    @Test
    void indexErrorsNameTheProblem(@TempDir Path dir) throws Exception {
        ShardedSafetensorsWriter.write(dir, List.of(f32("a", 10), f32("b", 10)), 50);
        Path index = dir.resolve("model.safetensors.index.json");
        String good = Files.readString(index);

        Files.writeString(index, good.replace("\"b\": \"model-00002-of-00002.safetensors\"", "\"b\": \"model-00002-of-00002.safetensors\", \"zz\": \"model-00002-of-00002.safetensors\""));
        assertThatThrownBy(() -> SafetensorsShards.openIndex(index)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("places tensor \"zz\" in model-00002-of-00002.safetensors, which has no such tensor");

        Files.writeString(index, good.replace("model-00002-of-00002", "model-00002-of-00009"));
        assertThatThrownBy(() -> SafetensorsShards.openIndex(index)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("names shard model-00002-of-00009.safetensors, which does not exist");

        Files.writeString(index, good.replace("model-00002-of-00002.safetensors", "../../etc/passwd"));
        assertThatThrownBy(() -> SafetensorsShards.openIndex(index)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("a shard must be a plain file name in the model directory");

        Files.writeString(index, "{\"metadata\":{}}");
        assertThatThrownBy(() -> SafetensorsShards.openIndex(index)).isInstanceOf(ModelFileException.class)
                .hasMessageContaining("has no weight_map object");
        Files.writeString(index, "{\"weight_map\":{\"a\":3}}");
        assertThatThrownBy(() -> SafetensorsShards.openIndex(index)).hasMessageContaining("weight_map entry \"a\" is an integer");
        Files.writeString(index, "{\"metadata\":{\"total_size\":-5},\"weight_map\":{}}");
        assertThatThrownBy(() -> SafetensorsShards.openIndex(index)).hasMessageContaining("metadata.total_size is -5");
    }

    @Test
    void shardNamesFollowTransformers() {
        assertThat(ShardedSafetensorsWriter.shardName("model", 1, 3)).isEqualTo("model-00001-of-00003.safetensors");
        assertThat(ShardedSafetensorsWriter.shardName("model", 12, 123)).isEqualTo("model-00012-of-00123.safetensors");
        assertThat(new ArrayList<>(List.of(1))).hasSize(1);
    }
}
