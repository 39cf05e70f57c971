package dev.slmops.model.tokenizer.train;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.slmops.model.format.SafeFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link TrainedBpe} as Hugging Face tokenizer files, shaped like Qwen2's:
 * <ul>
 *   <li>{@code tokenizer.json}: model BPE (vocab, merges as "a b"), NFC normalizer, pre-tokenizer Sequence
 *       [Split(Qwen2 regex, Isolated), ByteLevel(use_regex=false)], ByteLevel post-processor and decoder,
 *       added_tokens (specials and reserved fillers, all special=true, normalized=false, ids after the model's
 *       vocab as tokenizers requires);</li>
 *   <li>{@code tokenizer_config.json}: bos/eos/pad, add_bos_token false, model_max_length, a ChatML
 *       chat_template (when &lt;|im_start|&gt; and &lt;|im_end|&gt; are special tokens), and slmops_note;</li>
 *   <li>{@code special_tokens_map.json}.</li>
 * </ul>
 * tokenizer.json is written by hand (one vocab entry, merge or added token per line, strings escaped by
 * Jackson) so that a 262,144-id file stays a few MB and streams out without a tree in memory.
 */
final class HfTokenizerFiles {
    private HfTokenizerFiles() {
    }

    /**
     * ChatML as Qwen2 uses it, without tools or a default system prompt: every message is
     * {@code <|im_start|>role\ncontent<|im_end|>\n}; the generation prompt opens an assistant turn. One line
     * with no whitespace control, so Jinja2, Jinjava and minijinja all render it the same.
     */
    static final String CHATML_TEMPLATE = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static final ObjectMapper JSON = new ObjectMapper();

    static void write(TrainedBpe bpe, Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create tokenizer output directory " + dir + ": " + e.getMessage(), e);
        }
        List<Path[]> staged = new ArrayList<>(); // {temp, target}
        try {
            staged.add(stage(dir, "tokenizer.json", w -> writeTokenizerJson(bpe, w)));
            staged.add(stage(dir, "tokenizer_config.json", w -> w.write(pretty(tokenizerConfig(bpe)))));
            staged.add(stage(dir, "special_tokens_map.json", w -> w.write(pretty(specialTokensMap(bpe)))));
            for (Path[] s : staged) move(s[0], s[1]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tokenizer files into " + dir + ": " + e.getMessage()
                    + " (nothing was replaced unless a rename had already happened)", e);
        } finally {
            for (Path[] s : staged) {
                try {
                    Files.deleteIfExists(s[0]);
                } catch (IOException ignored) {
                    // best effort: the temp file is named .<target>.tmp-* and can be deleted by hand
                }
            }
        }
    }

    private interface Body {
        void writeTo(Writer w) throws IOException;
    }

    private static Path[] stage(Path dir, String name, Body body) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + name + ".", ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            body.writeTo(w);
            w.flush();
            readableByAll(tmp);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return new Path[]{tmp, dir.resolve(name)};
    }

    /** Temp files are created owner-only (rw-------); model files are meant to be shared, like any other file. */
    private static void readableByAll(Path p) throws IOException {
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException notPosix) {
            // Windows and other non-POSIX file systems: the default ACL applies
        }
    }

    private static void move(Path tmp, Path target) throws IOException {
        SafeFiles.moveIntoPlace(tmp, target);
    }

    static void writeTokenizerJson(TrainedBpe bpe, Writer w) throws IOException {
        w.write("{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n");
        w.write("  \"added_tokens\": [");
        int first = bpe.firstSpecialId(), end = bpe.vocabSize();
        for (int id = first; id < end; id++) {
            w.write(id == first ? "\n    " : ",\n    ");
            w.write("{\"id\": " + id + ", \"content\": " + quote(bpe.token(id)) + ", \"single_word\": false, "
                    + "\"lstrip\": false, \"rstrip\": false, \"normalized\": false, \"special\": true}");
        }
        w.write(first < end ? "\n  ],\n" : "],\n");
        w.write("  \"normalizer\": {\"type\": \"NFC\"},\n");
        w.write("  \"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [\n"
                + "    {\"type\": \"Split\", \"pattern\": {\"Regex\": " + quote(WordCounter.QWEN2_SPLIT)
                + "}, \"behavior\": \"Isolated\", \"invert\": false},\n"
                + "    {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false}\n"
                + "  ]},\n");
        w.write("  \"post_processor\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, "
                + "\"use_regex\": false},\n");
        w.write("  \"decoder\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, "
                + "\"use_regex\": false},\n");
        w.write("  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
                + "    \"continuing_subword_prefix\": \"\",\n    \"end_of_word_suffix\": \"\",\n"
                + "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n");
        w.write("    \"vocab\": {");
        for (int id = 0; id < first; id++) {
            w.write(id == 0 ? "\n      " : ",\n      ");
            w.write(quote(bpe.token(id)) + ": " + id);
        }
        w.write("\n    },\n    \"merges\": [");
        for (int r = 0; r < bpe.mergeCount(); r++) {
            w.write(r == 0 ? "\n      " : ",\n      ");
            w.write(quote(bpe.merge(r)));
        }
        w.write(bpe.mergeCount() > 0 ? "\n    ]\n  }\n}\n" : "]\n  }\n}\n");
    }

    static Map<String, Object> tokenizerConfig(TrainedBpe bpe) {
        BpeTrainer.Options o = bpe.options();
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("add_bos_token", false);
        c.put("add_eos_token", false);
        c.put("add_prefix_space", false);
        Map<String, Object> decoder = new LinkedHashMap<>();
        for (int i = 0; i < o.specialTokens().size(); i++) {
            decoder.put(String.valueOf(bpe.firstSpecialId() + i), addedToken(o.specialTokens().get(i), true));
        }
        c.put("added_tokens_decoder", decoder);
        c.put("additional_special_tokens", additionalSpecials(o));
        c.put("bos_token", o.bosToken());
        if (hasChatMl(o)) c.put("chat_template", CHATML_TEMPLATE);
        c.put("clean_up_tokenization_spaces", false);
        c.put("eos_token", o.eosToken());
        c.put("errors", "replace");
        c.put("model_max_length", o.modelMaxLength());
        c.put("pad_token", o.padToken());
        c.put("split_special_tokens", false);
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("unk_token", null);
        c.put("slmops_note", bpe.note());
        return c;
    }

    static Map<String, Object> specialTokensMap(TrainedBpe bpe) {
        BpeTrainer.Options o = bpe.options();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("additional_special_tokens", additionalSpecials(o));
        if (o.bosToken() != null) m.put("bos_token", addedToken(o.bosToken(), false));
        if (o.eosToken() != null) m.put("eos_token", addedToken(o.eosToken(), false));
        if (o.padToken() != null) m.put("pad_token", addedToken(o.padToken(), false));
        return m;
    }

    private static boolean hasChatMl(BpeTrainer.Options o) {
        return o.specialTokens().contains("<|im_start|>") && o.specialTokens().contains("<|im_end|>");
    }

    /** Specials that are not bos/eos/pad (Qwen2 lists <|im_start|>, <|im_end|>, ... here). */
    private static List<String> additionalSpecials(BpeTrainer.Options o) {
        List<String> l = new ArrayList<>();
        for (String s : o.specialTokens()) {
            if (!s.equals(o.bosToken()) && !s.equals(o.eosToken()) && !s.equals(o.padToken())) l.add(s);
        }
        return l;
    }

    private static Map<String, Object> addedToken(String content, boolean withSpecialFlag) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("content", content);
        t.put("lstrip", false);
        t.put("normalized", false);
        t.put("rstrip", false);
        t.put("single_word", false);
        if (withSpecialFlag) t.put("special", true);
        return t;
    }

    private static String quote(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }

    private static String pretty(Object value) throws IOException {
        DefaultIndenter lf = new DefaultIndenter("  ", "\n"); // "\n" on every OS: same bytes everywhere
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withArrayIndenter(lf).withObjectIndenter(lf);
        return JSON.writer(pp).writeValueAsString(value) + "\n";
    }
}
