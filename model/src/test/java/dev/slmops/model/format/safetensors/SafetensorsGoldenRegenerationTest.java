package dev.slmops.model.format.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.tensor.DType;
import dev.slmops.testkit.ProjectFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Opt-in ({@code SLMOPS_REGENERATE_GOLDENS=1}, needs root/apt and network to Debian): reruns make_goldens.py with
 * Hugging Face's safetensors library, fails if any committed golden file drifted, and has the library load
 * files our writer produced (single file and shards) and checks it sees the same tensors our reader does.
 */
@EnabledIfEnvironmentVariable(named = "SLMOPS_REGENERATE_GOLDENS", matches = "1")
class SafetensorsGoldenRegenerationTest {

    @Test
    void goldensAreUpToDateAndTheReferenceReadsOurFiles(@TempDir Path tmp) throws Exception {
        Path ours = Files.createDirectory(tmp.resolve("ours"));
        List<Path> ourFiles = new ArrayList<>();
        float[] v = new float[96];
        for (int i = 0; i < v.length; i++) v[i] = (float) Math.cos(i) * 3f;
        List<TensorToWrite> tensors = List.of(
                TensorToWrite.ofFloats("w.f32", new long[]{8, 12}, v, DType.F32),
                TensorToWrite.ofFloats("w.f16", new long[]{96}, v, DType.F16),
                TensorToWrite.ofBytes("ids", DType.I64, new long[]{2}, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(1L << 40).array()),
                TensorToWrite.ofBytes("flags", DType.BOOL, new long[]{3}, new byte[]{1, 0, 1}),
                TensorToWrite.ofBytes("\u00e9t\u00e9", DType.I16, new long[]{1}, new byte[]{1, (byte) 0x80}));
        Path single = ours.resolve("ours_single.safetensors");
        SafetensorsWriter.write(single, tensors);
        ourFiles.add(single);
        Path sharded = Files.createDirectory(ours.resolve("sharded"));
        ourFiles.addAll(ShardedSafetensorsWriter.write(sharded, tensors, 200).files().stream()
                .filter(p -> p.toString().endsWith(".safetensors")).toList());

        Path script = ProjectFiles.root().resolve("model/src/test/resources/safetensors/reference-python.sh");
        Path regen = tmp.resolve("regen");
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), "make_goldens.py", regen.toString()));
        ourFiles.forEach(p -> cmd.add(p.toString()));
        Process proc = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String stdout = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(proc.exitValue()).as("make_goldens.py exit status").isZero();

        Path committed = ProjectFiles.root().resolve("model/src/test/resources/safetensors");
        try (Stream<Path> s = Files.list(regen)) {
            for (Path p : s.toList()) {
                assertThat(Files.mismatch(p, committed.resolve(p.getFileName()))).as("golden %s drifted", p.getFileName())
                        .isEqualTo(-1L);
            }
        }

        ObjectMapper json = new ObjectMapper();
        List<String> lines = stdout.lines().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSize(ourFiles.size());
        for (int i = 0; i < ourFiles.size(); i++) {
            JsonNode ref = json.readTree(lines.get(i));
            try (SafetensorsFile f = SafetensorsFile.open(ourFiles.get(i))) {
                assertThat(ref.get("metadata").get("format").asText()).isEqualTo("pt");
                assertThat(ref.get("tensors").size()).isEqualTo(f.tensors().size());
                for (StoredTensor t : f.tensors()) {
                    JsonNode e = ref.get("tensors").get(t.name());
                    assertThat(e).as("reference sees %s in %s", t.name(), ourFiles.get(i)).isNotNull();
                    assertThat(Goldens.safetensorsDtype(e.get("dtype").asText())).isEqualTo(SafetensorsDtypes.nameOf(t.dtype()));
                    assertThat(e.get("hex").asText()).isEqualTo(HexFormat.of().formatHex(t.data().toArray(ValueLayout.JAVA_BYTE)));
                }
            }
        }
        System.out.println("reference loaded " + ourFiles.size() + " files written by slmops; goldens unchanged");
    }
}
