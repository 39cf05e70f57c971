package dev.slmops.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.format.StoredTensor;
import dev.slmops.model.format.safetensors.SafetensorsFile;
import dev.slmops.tensor.quant.Dequantize;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads the golden files of scripts/reference/torch_train.py (train/src/test/resources/golden/torch-train/NAME). */
final class TorchGoldens {
    private TorchGoldens() {
    }

    static final ObjectMapper JSON = new ObjectMapper();

    static Path dir(String name) {
        try {
            var url = TorchGoldens.class.getResource("/golden/torch-train/" + name + "/config.json");
            if (url == null) throw new IllegalStateException("golden files of " + name + " are missing: run scripts/reference/torch_train.py");
            return Path.of(url.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<Example> batch(Path dir) throws IOException {
        List<Example> out = new ArrayList<>();
        for (JsonNode e : JSON.readTree(dir.resolve("batch.json").toFile()).get("examples")) {
            int[] tokens = JSON.convertValue(e.get("tokens"), int[].class);
            boolean[] on = JSON.convertValue(e.get("lossOn"), boolean[].class);
            out.add(new Example(tokens, on));
        }
        return out;
    }

    static JsonNode json(Path file) throws IOException {
        return JSON.readTree(Files.readString(file));
    }

    /** Every tensor of a safetensors file as F32 arrays by name. */
    static Map<String, float[]> tensors(Path file) throws IOException {
        Map<String, float[]> m = new HashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (StoredTensor t : f.tensors()) {
                m.put(t.name(), Dequantize.toFloat(t.dtype(), t.data(), Math.toIntExact(t.elementCount())));
            }
        }
        return m;
    }
}
