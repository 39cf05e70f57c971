package dev.slmops.train.optim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.train.Parameters;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The files scripts/reference/torch_adamw.py writes, read back. */
record TorchAdamWGolden(JsonNode meta, float[] init, float[][] grads, float[][] params) {

    static TorchAdamWGolden read(Path dir) throws IOException {
        JsonNode meta = new ObjectMapper().readTree(dir.resolve("meta.json").toFile());
        int steps = meta.get("steps").asInt();
        float[] init = floats(dir.resolve("init.bin"));
        return new TorchAdamWGolden(meta, init, rows(floats(dir.resolve("grads.bin")), steps),
                rows(floats(dir.resolve("params.bin")), steps));
    }

    List<Parameters.Entry> entries() {
        List<Parameters.Entry> out = new ArrayList<>();
        for (JsonNode e : meta.get("entries")) {
            int[] shape = new int[e.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = e.get("shape").get(i).asInt();
            out.add(new Parameters.Entry(e.get("name").asText(), shape, e.get("offset").asInt(),
                    e.get("length").asInt(), e.get("decay").asBoolean()));
        }
        return out;
    }

    static float[] floats(Path p) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    private static float[][] rows(float[] flat, int n) {
        int width = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * width, (i + 1) * width);
        return out;
    }
}
