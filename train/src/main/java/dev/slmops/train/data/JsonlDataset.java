package dev.slmops.train.data;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.slmops.model.chat.ChatTemplate;
import dev.slmops.model.format.JsonFiles;
import dev.slmops.model.tokenizer.Tokenizer;
import dev.slmops.train.Example;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A JSONL training file → {@link Example}s (train/validation splits are loop.ValidationSplit's, over these).
 *
 * <p>Order of work: read and parse every record (bad ones fail with file:line, or are skipped and counted); tokenize and mask; truncate or pack to the sequence length;
 * shuffle the training examples with the seed. Examples left with no target are dropped and counted.
 */
public final class JsonlDataset {
    private JsonlDataset() {
    }

    /** A skipped record: where and why. */
    public record Skipped(int line, String reason) {
    }

    /**
     * @param skipped      records left out (bad JSON, wrong shape, untokenizable), with reasons
     * @param truncated    examples cut to seqLen (without packing)
     * @param noTargets    examples dropped because no token was left to learn from
     * @param targetTokens target tokens over train
     */
    public record Loaded(List<Example> train, List<Skipped> skipped, int truncated,
                         int noTargets, long trainTokens, long targetTokens) {
        public String summary() {
            return train.size() + " sequences, " + trainTokens
                    + " tokens (" + targetTokens + " targets)" + (skipped.isEmpty() ? "" : ", " + skipped.size()
                    + " bad records skipped") + (truncated == 0 ? "" : ", " + truncated + " truncated")
                    + (noTargets == 0 ? "" : ", " + noTargets + " without targets dropped");
        }
    }

    /** The records of a file, parsed (file order). */
    public record Records(List<DataRecord> records, List<Skipped> skipped) {
    }

    /** Reads and parses every line; blank lines are ignored. */
    public static Records read(Path file, DatasetOptions o) throws IOException {
        RecordParser parser = new RecordParser(o);
        List<DataRecord> out = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(file), decoder))) {
            String line;
            int no = 0;
            while (true) {
                try {
                    line = in.readLine();
                } catch (CharacterCodingException e) {
                    throw new DatasetException(file, no + 1, "is not valid UTF-8");
                }
                if (line == null) break;
                no++;
                if (no == 1 && line.startsWith("\uFEFF")) line = line.substring(1);
                if (line.isBlank()) continue;
                try {
                    JsonNode node;
                    try {
                        node = JsonFiles.mapper().readTree(line);
                    } catch (JacksonException e) {
                        throw new IllegalArgumentException("is not valid JSON: " + e.getOriginalMessage());
                    }
                    out.add(parser.parse(node, no));
                } catch (IllegalArgumentException e) {
                    if (!o.skipBadRecords()) {
                        throw new DatasetException(file, no, e.getMessage() + " (pass the skip-bad-records option to "
                                + "skip such records and count them)");
                    }
                    skipped.add(new Skipped(no, e.getMessage()));
                }
            }
        } catch (NoSuchFileException e) {
            throw new DatasetException(file, 0, "does not exist");
        }
        if (out.isEmpty()) {
            throw new DatasetException(file, 0, "has no usable records" + (skipped.isEmpty() ? "" : " (" + skipped.size()
                    + " skipped; the first, line " + skipped.getFirst().line() + ": " + skipped.getFirst().reason() + ")"));
        }
        return new Records(out, skipped);
    }

    /**
     * Loads every record of a file as examples (shuffled with the options' seed when they say so). Train/validation
     * splits (fractions and {@code train[a:b]} slices) are the trainer's {@code loop.ValidationSplit}, applied to the
     * examples this returns: one split implementation for the CLI flags and the API. {@code chat} may be null for
     * non-chat data.
     */
    public static Loaded load(Path file, DatasetOptions o, Tokenizer tok, ChatTemplate chat) throws IOException {
        Records all = read(file, o);
        List<Skipped> skipped = new ArrayList<>(all.skipped());
        int[] counts = new int[2]; // truncated, noTargets
        ExampleBuilder b = new ExampleBuilder(tok, chat, o);
        List<Example> trainEx = fit(tokenize(file, all.records(), b, o, skipped), o, counts);
        if (o.shuffle()) Collections.shuffle(trainEx, new Random(o.seed() + 1));
        if (trainEx.isEmpty()) throw new DatasetException(file, 0, "gave no training examples with targets");
        long tokens = 0, targets = 0;
        for (Example e : trainEx) {
            tokens += e.tokens().length;
            targets += e.targets();
        }
        skipped.sort(java.util.Comparator.comparingInt(Skipped::line));
        return new Loaded(List.copyOf(trainEx), List.copyOf(skipped), counts[0], counts[1], tokens, targets);
    }

    /** A whole file in file order, unshuffled: for a separate evaluation file (--eval-data) and for the CLI. */
    public static Loaded loadForEvaluation(Path file, DatasetOptions o, Tokenizer tok, ChatTemplate chat) throws IOException {
        return load(file, o.withSeed(o.seed(), false), tok, chat);
    }

    private static List<Example> tokenize(Path file, List<DataRecord> recs, ExampleBuilder b, DatasetOptions o,
                                          List<Skipped> skipped) throws DatasetException {
        List<Example> out = new ArrayList<>();
        for (DataRecord r : recs) {
            try {
                out.add(b.build(r));
            } catch (IllegalArgumentException e) {
                if (!o.skipBadRecords()) throw new DatasetException(file, r.line(), e.getMessage());
                skipped.add(new Skipped(r.line(), e.getMessage()));
            }
        }
        return out;
    }

    private static List<Example> fit(List<Example> ex, DatasetOptions o, int[] counts) {
        List<Example> out = new ArrayList<>();
        if (o.packing()) {
            ex = Packing.pack(ex, o.seqLen());
        }
        for (Example e : ex) {
            Example t = Packing.truncate(e, o.seqLen());
            if (t != e) counts[0]++;
            if (t.targets() == 0) {
                counts[1]++;
                continue;
            }
            out.add(t);
        }
        return out;
    }
}
