package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.format.ModelFileException;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.quant.FloatConversions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Compares our reader and writer with Hugging Face's safetensors library (Rust), through the golden files
 * make_goldens.py wrote with it (Debian trixie's python3-safetensors + numpy).
 */
class SafetensorsGoldenTest {

    @Test
    void readsEveryTensorTheReferenceWrote() throws Exception {
        JsonNode good = Goldens.expected().get("good");
        for (String file : List.of("ref_mixed", "ref_nometa", "ref_f16")) {
            JsonNode exp = good.get(file);
            try (SafetensorsFile f = SafetensorsFile.open(Goldens.file(file + ".safetensors"))) {
                assertThat(f.names()).containsExactlyInAnyOrderElementsOf(iterable(exp.get("tensors").fieldNames()));
                for (var kv : exp.get("tensors").properties()) {
                    StoredTensor t = f.tensor(kv.getKey());
                    JsonNode e = kv.getValue();
                    assertThat(SafetensorsDtypes.nameOf(t.dtype())).as(kv.getKey())
                            .isEqualTo(Goldens.safetensorsDtype(e.get("dtype").asText()));
                    List<Long> shape = new ArrayList<>();
                    e.get("shape").forEach(d -> shape.add(d.asLong()));
                    assertThat(t.shape()).as(kv.getKey()).containsExactly(shape.stream().mapToLong(Long::longValue).toArray());
                    assertThat(HexFormat.of().formatHex(t.data().toArray(ValueLayout.JAVA_BYTE))).as(kv.getKey())
                            .isEqualTo(e.get("hex").asText());
                    assertThat(t.data().isMapped()).isTrue();
                }
                Map<String, String> meta = new LinkedHashMap<>();
                if (!exp.get("metadata").isNull()) exp.get("metadata").properties().forEach(m -> meta.put(m.getKey(), m.getValue().asText()));
                assertThat(f.metadata()).isEqualTo(meta);
            }
        }
    }

    /** Same tensors, same metadata: our writer must produce the reference's bytes exactly (order, header, padding). */
    @Test
    void writesTheReferencesBytesExactly(@TempDir Path tmp) throws Exception {
        for (String file : List.of("ref_mixed", "ref_nometa", "ref_f16")) {
            Path golden = Goldens.file(file + ".safetensors");
            Path ours = tmp.resolve(file + ".safetensors");
            try (SafetensorsFile f = SafetensorsFile.open(golden)) {
                List<TensorToWrite> tensors = new ArrayList<>();
                // Hand them over in reverse name order so that only the writer's sort can put them right.
                f.tensors().reversed().forEach(t -> tensors.add(TensorToWrite.of(t)));
                SafetensorsWriter.write(ours, tensors, f.metadata().isEmpty() ? null : f.metadata());
            }
            byte[] a = Files.readAllBytes(ours), b = Files.readAllBytes(golden);
            int diff = java.util.Arrays.mismatch(a, b);
            assertThat(diff).as("%s: first differing byte (ours %d bytes, reference %d); ours: %s", file, a.length,
                    b.length, new String(a, 0, Math.min(a.length, diff + 40), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(-1);
        }
    }

    @Test
    void f32ToF16RoundsAsNumpyDoes() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(Goldens.file("ref_f16.safetensors"))) {
            StoredTensor in = f.tensor("f32"), out = f.tensor("f16");
            var f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            var i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            long n = in.elementCount();
            assertThat(n).isGreaterThan(2000);
            for (long i = 0; i < n; i++) {
                float x = in.data().getAtIndex(f32, i);
                short expected = out.data().getAtIndex(i16, i);
                assertThat(FloatConversions.f32ToF16(x)).as("f16(%s) at %d", x, i).isEqualTo(expected);
            }
        }
    }

    /** Every malformed file the reference rejects, we reject with a ModelFileException; we are stricter on one. */
    @Test
    void rejectsWhatTheReferenceRejects() throws Exception {
        JsonNode bad = Goldens.expected().get("bad");
        for (var kv : bad.properties()) {
            Path p = Goldens.file(kv.getKey() + ".safetensors");
            boolean referenceRejects = kv.getValue().get("rejected").asBoolean();
            if (kv.getKey().equals("bad_duplicate_name")) {
                // serde keeps the last of two equal keys; we refuse the ambiguity.
                assertThat(referenceRejects).isFalse();
            } else {
                assertThat(referenceRejects).as(kv.getKey()).isTrue();
            }
            assertThatThrownBy(() -> SafetensorsFile.open(p).close()).as(kv.getKey())
                    .isInstanceOf(ModelFileException.class)
                    .hasMessageStartingWith(p.toString());
        }
    }

    private static <T> Iterable<T> iterable(java.util.Iterator<T> it) {
        List<T> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }
}
