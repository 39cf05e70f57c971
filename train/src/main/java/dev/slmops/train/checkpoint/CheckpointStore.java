package dev.slmops.train.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * Checkpoints on disk, one directory each, named as Hugging Face's Trainer names them ({@code checkpoint-<step>}):
 * <pre>
 *   trainer_state.json   the {@link TrainerState}, entry names, parameter count, CRC-32 of tensors.bin
 *   tensors.bin          values[P], then (full checkpoints) first moment[P], second moment[P]; float32 little-endian
 * </pre>
 * A directory is written under a temporary name, fsynced and renamed into place ({@link AtomicFiles}), so a kill -9
 * mid-write loses nothing: the previous checkpoint stays whole and the leftover is ignored and later removed.
 */
public final class CheckpointStore {
    public static final String STATE_FILE = "trainer_state.json";
    public static final String TENSORS_FILE = "tensors.bin";
    private static final Pattern NAME = Pattern.compile("checkpoint-(\\d+)");
    private static final int FORMAT = 1;
    private static final int CHUNK_FLOATS = 1 << 18; // 1 MiB of floats per write

    private CheckpointStore() {
    }

    /** {@code root/checkpoint-<step>}. */
    public static Path directoryFor(Path root, long step) {
        return root.resolve("checkpoint-" + step);
    }

    /** Writes {@code ckpt} to {@code dir} atomically (replacing an older version of the same directory). */
    public static void save(Path dir, Checkpoint ckpt) throws IOException {
        Path tmp = AtomicFiles.tempDirectoryFor(dir);
        try {
            CRC32 crc = new CRC32();
            try (FileChannel ch = FileChannel.open(tmp.resolve(TENSORS_FILE), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
                writeFloats(ch, buf, crc, ckpt.values());
                if (ckpt.hasMoments()) {
                    writeFloats(ch, buf, crc, ckpt.firstMoment());
                    writeFloats(ch, buf, crc, ckpt.secondMoment());
                }
                ch.force(true);
            }
            AtomicFiles.writeAndForce(tmp.resolve(STATE_FILE), stateJson(ckpt, crc.getValue()));
            AtomicFiles.publishDirectory(tmp, dir);
        } catch (IOException | RuntimeException e) {
            AtomicFiles.deleteTree(tmp);
            throw e;
        }
    }

    /** Reads a checkpoint directory, checking its CRC; errors name the directory and what is wrong. */
    public static Checkpoint load(Path dir) throws IOException {
        return read(dir, null);
    }

    /**
     * Reads only the parameter values, straight into {@code values} (no second copy of a large model), checking the
     * CRC of the whole file; returns the state saved with them.
     */
    public static TrainerState loadValuesInto(Path dir, float[] values) throws IOException {
        return read(dir, values).state();
    }

    /** Only the trainer state of a checkpoint directory (no tensors read, no CRC check). */
    public static TrainerState readState(Path dir) throws IOException {
        Path statePath = dir.resolve(STATE_FILE);
        if (!Files.isRegularFile(statePath)) throw new IOException("not a checkpoint: " + dir + " has no " + STATE_FILE);
        return state(new ObjectMapper().readTree(statePath.toFile()).get("state"));
    }

    private static Checkpoint read(Path dir, float[] into) throws IOException {
        Path statePath = dir.resolve(STATE_FILE), tensorsPath = dir.resolve(TENSORS_FILE);
        if (!Files.isRegularFile(statePath) || !Files.isRegularFile(tensorsPath)) {
            throw new IOException("not a checkpoint: " + dir + " needs " + STATE_FILE + " and " + TENSORS_FILE
                    + " (pass a checkpoint-<step> directory written by slmops finetune)");
        }
        JsonNode j = new ObjectMapper().readTree(statePath.toFile());
        if (j.path("format").asInt() != FORMAT) {
            throw new IOException(statePath + ": unknown checkpoint format " + j.path("format") + " (this slmops reads " + FORMAT + ")");
        }
        int p = j.get("parameters").asInt();
        boolean moments = j.get("moments").asBoolean();
        long expectedBytes = (long) p * 4 * (moments ? 3 : 1);
        if (Files.size(tensorsPath) != expectedBytes) {
            throw new IOException(tensorsPath + " holds " + Files.size(tensorsPath) + " bytes, expected " + expectedBytes
                    + ": the checkpoint is damaged; resume from an earlier one");
        }
        if (into != null && into.length != p) {
            throw new IllegalArgumentException(dir + " holds " + p + " parameters but the model has " + into.length
                    + ": it belongs to another model or method");
        }
        boolean valuesOnly = into != null;
        float[] values = valuesOnly ? into : new float[p];
        float[] m = new float[moments && !valuesOnly ? p : 0], v = new float[moments && !valuesOnly ? p : 0];
        CRC32 crc = new CRC32();
        try (FileChannel ch = FileChannel.open(tensorsPath, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK_FLOATS * 4).order(ByteOrder.LITTLE_ENDIAN);
            readFloats(ch, buf, crc, values);
            if (valuesOnly && moments) { // the moments still count towards the CRC
                float[] scratch = new float[Math.min(p, CHUNK_FLOATS)];
                for (long left = 2L * p; left > 0; left -= scratch.length) {
                    readFloats(ch, buf, crc, left >= scratch.length ? scratch : new float[(int) left]);
                }
            }
            readFloats(ch, buf, crc, m);
            readFloats(ch, buf, crc, v);
        }
        if (crc.getValue() != j.get("crc32").asLong()) {
            throw new IOException(tensorsPath + ": CRC-32 mismatch, the checkpoint is damaged; resume from an earlier one");
        }
        List<String> names = new ArrayList<>();
        j.get("entries").forEach(n -> names.add(n.asText()));
        return new Checkpoint(state(j.get("state")), names.toArray(String[]::new), values, m, v);
    }

    /** The complete checkpoints under {@code root}, oldest step first (temporary leftovers are not listed). */
    public static List<Path> list(Path root) throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(d -> NAME.matcher(d.getFileName().toString()).matches())
                    .filter(d -> Files.isRegularFile(d.resolve(STATE_FILE)))
                    .sorted(Comparator.comparingLong(CheckpointStore::stepOf)).toList();
        }
    }

    public static Optional<Path> latest(Path root) throws IOException {
        List<Path> all = list(root);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getLast());
    }

    /** Deletes the oldest checkpoints so at most {@code keep} remain ({@code keep <= 0}: keep all). */
    public static void prune(Path root, int keep) throws IOException {
        if (keep <= 0) return;
        List<Path> all = list(root);
        for (int i = 0; i < all.size() - keep; i++) AtomicFiles.remove(all.get(i));
    }

    static long stepOf(Path dir) {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private static void writeFloats(FileChannel ch, ByteBuffer buf, CRC32 crc, float[] a) throws IOException {
        for (int off = 0; off < a.length; off += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, a.length - off);
            buf.clear();
            buf.asFloatBuffer().put(a, off, n);
            buf.limit(n * 4);
            crc.update(buf.duplicate());
            while (buf.hasRemaining()) ch.write(buf);
        }
    }

    private static void readFloats(FileChannel ch, ByteBuffer buf, CRC32 crc, float[] a) throws IOException {
        for (int off = 0; off < a.length; off += CHUNK_FLOATS) {
            int n = Math.min(CHUNK_FLOATS, a.length - off);
            buf.clear().limit(n * 4);
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) throw new IOException("checkpoint tensors end early");
            }
            buf.flip();
            crc.update(buf.duplicate());
            buf.asFloatBuffer().get(a, off, n);
        }
    }

    private static byte[] stateJson(Checkpoint c, long crc) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode j = om.createObjectNode();
        j.put("format", FORMAT);
        j.put("parameters", c.values().length);
        j.put("moments", c.hasMoments());
        j.put("crc32", crc);
        ArrayNode names = j.putArray("entries");
        for (String n : c.entryNames()) names.add(n);
        TrainerState s = c.state();
        ObjectNode st = j.putObject("state");
        st.put("global_step", s.globalStep());
        st.put("epoch", s.epoch());
        st.put("step_in_epoch", s.stepInEpoch());
        st.put("seed", s.seed());
        st.put("tokens_seen", s.tokensSeen());
        if (Double.isNaN(s.bestEvalLoss())) st.putNull("best_eval_loss");
        else st.put("best_eval_loss", s.bestEvalLoss());
        st.put("best_step", s.bestStep());
        st.put("evals_without_improvement", s.evalsWithoutImprovement());
        ArrayNode rng = st.putArray("model_random_state");
        for (long x : s.modelRandomState()) rng.add(x);
        st.put("data_fingerprint", s.dataFingerprint());
        st.put("settings", s.settings());
        return om.writerWithDefaultPrettyPrinter().writeValueAsBytes(j);
    }

    private static TrainerState state(JsonNode st) {
        JsonNode rngNode = st.get("model_random_state");
        long[] rng = new long[rngNode.size()];
        for (int i = 0; i < rng.length; i++) rng[i] = rngNode.get(i).asLong();
        JsonNode best = st.get("best_eval_loss");
        return new TrainerState(st.get("global_step").asLong(), st.get("epoch").asInt(), st.get("step_in_epoch").asLong(),
                st.get("seed").asLong(), st.get("tokens_seen").asLong(),
                best == null || best.isNull() ? Double.NaN : best.asDouble(), st.get("best_step").asLong(),
                st.get("evals_without_improvement").asInt(), rng, st.get("data_fingerprint").asText(),
                st.path("settings").asText(""));
    }
}
