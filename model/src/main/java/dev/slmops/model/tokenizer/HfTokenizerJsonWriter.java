package dev.slmops.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a Hugging Face {@code tokenizer.json} (and the {@code tokenizer_config.json} fields that go with it) for
 * any of our tokenizers, so that transformers and Hugging Face's Rust tokenizers give the ids llama.cpp gives.
 *
 * <p>A tokenizer read from a tokenizer.json gets that file back unchanged (re-read from disk: keeping the tree
 * of a 150k-token vocabulary in every tokenizer would cost tens of MB). Every other tokenizer is written from
 * its GGUF keys ({@link Tokenizer#toGgufMetadata()}), the one description all our tokenizers share:
 * <ul>
 *   <li>{@code tokenizer.ggml.model = "gpt2"} (byte-level BPE): BPE with the GGUF merges, the pre-tokenizer of
 *       the {@code tokenizer.ggml.pre} family written as the models' own tokenizer.json files write it, ByteLevel
 *       decoder, CONTROL / USER_DEFINED tokens as added tokens (special / not), BOS (EOS) by a
 *       TemplateProcessing post-processor when add_bos_token (add_eos_token).</li>
 *   <li>{@code tokenizer.ggml.model = "llama"} (SentencePiece BPE): the Llama-2 layout: BPE with byte_fallback,
 *       fuse_unk and merges derived from the scores ({@link SentencePieceMerges}), normalizer Prepend "▁" +
 *       Replace " " -> "▁", decoder Replace "▁" -> " ", ByteFallback, Fuse, Strip one leading space.</li>
 * </ul>
 */
public final class HfTokenizerJsonWriter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String METASPACE = "\u2581";

    private HfTokenizerJsonWriter() {
    }

    /** The tokenizer.json of {@code tokenizer}. */
    public static ObjectNode of(Tokenizer tokenizer) {
        if (tokenizer instanceof BpeTokenizer b && b.spec().hfJsonFile != null
                && Files.isRegularFile(b.spec().hfJsonFile)) {
            try {
                if (JSON.readTree(b.spec().hfJsonFile.toFile()) instanceof ObjectNode original) return original;
            } catch (IOException e) {
                // the file changed since it was read: write the tokenizer from what was loaded instead
            }
        }
        return fromGgufMetadata(tokenizer.toGgufMetadata());
    }

    /**
     * The tokenizer.json of a GGUF file's {@code tokenizer.ggml.*} keys (values as {@link GgufTokenizer} reads
     * them: Long, Float, Boolean, String, List).
     *
     * @throws TokenizerFormatException for a model or pre-tokenizer family this project does not read
     */
    public static ObjectNode fromGgufMetadata(Map<String, Object> md) {
        // Reading the keys first validates them exactly as loading the GGUF would, with the same messages.
        Tokenizer parsed = GgufTokenizer.fromMetadata(md);
        String model = String.valueOf(md.get(GgufTokenizer.MODEL));
        return switch (model) {
            case "gpt2" -> byteLevel(md, (BpeTokenizer) parsed);
            case "llama" -> sentencePiece(md, parsed);
            default -> throw new TokenizerFormatException("GGUF " + GgufTokenizer.MODEL + " = '" + model
                    + "' has no tokenizer.json form here (supported: llama, gpt2)");
        };
    }

    /**
     * The tokenizer_config.json fields that make transformers use tokenizer.json as written: the class, the
     * special tokens by text and whether BOS/EOS are added. A caller merges them with its own (chat template …).
     */
    public static ObjectNode configFields(Tokenizer tokenizer) {
        Map<String, Object> md = tokenizer.toGgufMetadata();
        SpecialTokens s = tokenizer.specials();
        ObjectNode c = F.objectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        s.bos().ifPresentOrElse(id -> c.put("bos_token", tokenizer.token(id)), () -> c.putNull("bos_token"));
        s.eos().ifPresentOrElse(id -> c.put("eos_token", tokenizer.token(id)), () -> c.putNull("eos_token"));
        s.unk().ifPresentOrElse(id -> c.put("unk_token", tokenizer.token(id)), () -> c.putNull("unk_token"));
        s.pad().ifPresent(id -> c.put("pad_token", tokenizer.token(id)));
        c.put("add_bos_token", Boolean.TRUE.equals(md.get(GgufTokenizer.ADD_BOS)) && s.bos().isPresent());
        c.put("add_eos_token", Boolean.TRUE.equals(md.get(GgufTokenizer.ADD_EOS)) && s.eos().isPresent());
        c.put("clean_up_tokenization_spaces", false);
        return c;
    }

    // ------------------------------------------------------------------ byte-level BPE

    private static ObjectNode byteLevel(Map<String, Object> md, BpeTokenizer parsed) {
        BpeTokenizer.Spec spec = parsed.spec();
        String[] tokens = spec.tokens;
        ObjectNode root = header();
        ArrayNode added = root.putArray("added_tokens");
        for (AddedToken a : spec.addedTokens) added.add(addedToken(a.id(), a.content(), a.special()));
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevelPreTokenizer(spec.ggufPre));
        root.set("post_processor", withBosEos(byteLevelNode(true, false, true), tokens, spec.prefixIds, spec.suffixIds));
        root.set("decoder", byteLevelNode(true, true, true));
        ObjectNode m = bpeModel(root, null, false, false, spec.ignoreMerges);
        m.set("vocab", vocab(tokens));
        List<?> merges = (List<?>) md.get(GgufTokenizer.MERGES);
        List<String[]> pairs = new ArrayList<>(merges.size());
        for (Object o : merges) {
            String s = String.valueOf(o);
            int sp = s.indexOf(' ', 1);                                    // GgufTokenizer validated the form
            pairs.add(new String[]{s.substring(0, sp), s.substring(sp + 1)});
        }
        m.set("merges", merges(pairs));
        return root;
    }

    /** The pre-tokenizer of a llama.cpp pre-tokenizer family, as the family's tokenizer.json declares it. */
    static JsonNode byteLevelPreTokenizer(String ggufPre) {
        return switch (ggufPre) {
            // Llama 3: tokenizer.json of meta-llama/Llama-3.x
            case "llama-bpe" -> sequence(split(PreTokenizerPatterns.LLAMA3), byteLevelNode(false, true, false));
            // Qwen2 / 2.5 / 3
            case "qwen2" -> sequence(split(PreTokenizerPatterns.QWEN2), byteLevelNode(false, false, false));
            // SmolLM / SmolLM2: digits one by one, then the GPT-2 regex
            case "smollm" -> {
                ObjectNode digits = F.objectNode().put("type", "Digits").put("individual_digits", true);
                yield sequence(digits, byteLevelNode(false, true, true));
            }
            case "gpt-2" -> byteLevelNode(false, true, true);
            // llama.cpp's fallback for a BPE vocabulary without a known pre-tokenizer (llm_tokenizer_bpe default)
            case "default" -> sequence(split("[\\p{P}\\$\\+<=>\\^~\\|]+"), split(PreTokenizerPatterns.GPT2),
                    split("\\p{N}+"), split("[0-9][0-9][0-9]"), byteLevelNode(false, true, false));
            default -> throw new TokenizerFormatException("no tokenizer.json pre-tokenizer for GGUF "
                    + GgufTokenizer.PRE + " = '" + ggufPre + "' (supported: " + GgufTokenizer.SUPPORTED_PRE + ")");
        };
    }

    private static ObjectNode byteLevelNode(boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
        return F.objectNode().put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace)
                .put("trim_offsets", trimOffsets).put("use_regex", useRegex);
    }

    private static ObjectNode split(String regex) {
        ObjectNode s = F.objectNode().put("type", "Split");
        s.putObject("pattern").put("Regex", regex);
        return s.put("behavior", "Isolated").put("invert", false);
    }

    private static ObjectNode sequence(JsonNode... stages) {
        ObjectNode s = F.objectNode().put("type", "Sequence");
        ArrayNode a = s.putArray("pretokenizers");
        for (JsonNode n : stages) a.add(n);
        return s;
    }

    // ------------------------------------------------------------------ SentencePiece BPE

    private static ObjectNode sentencePiece(Map<String, Object> md, Tokenizer parsed) {
        List<?> tokenList = (List<?>) md.get(GgufTokenizer.TOKENS), scoreList = (List<?>) md.get(GgufTokenizer.SCORES);
        List<?> typeList = (List<?>) md.get(GgufTokenizer.TYPES);
        int n = tokenList.size();
        String[] tokens = new String[n];
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = String.valueOf(tokenList.get(i));
            scores[i] = ((Number) scoreList.get(i)).floatValue();
        }
        boolean addSpacePrefix = !Boolean.FALSE.equals(md.get(GgufTokenizer.ADD_SPACE_PREFIX));
        SpecialTokens s = parsed.specials();
        ObjectNode root = header();
        // llama.cpp matches CONTROL, USER_DEFINED and UNKNOWN tokens in the text before the model runs
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < n; i++) {
            int type = typeList == null ? SpmTokenizer.NORMAL : ((Number) typeList.get(i)).intValue();
            if (type == SpmTokenizer.CONTROL || type == SpmTokenizer.UNKNOWN || type == SpmTokenizer.USER_DEFINED) {
                added.add(addedToken(i, tokens[i], type != SpmTokenizer.USER_DEFINED));
            }
        }
        if (addSpacePrefix) {
            ArrayNode steps = F.arrayNode();
            steps.add(F.objectNode().put("type", "Prepend").put("prepend", METASPACE));
            steps.add(replace(" ", METASPACE));
            root.set("normalizer", F.objectNode().put("type", "Sequence").set("normalizers", steps));
        } else {
            root.set("normalizer", replace(" ", METASPACE));
        }
        root.putNull("pre_tokenizer");
        // llama.cpp's defaults for a "llama" vocabulary without the keys: BOS yes, EOS no
        boolean addBos = !Boolean.FALSE.equals(md.get(GgufTokenizer.ADD_BOS)) && s.bos().isPresent();
        boolean addEos = Boolean.TRUE.equals(md.get(GgufTokenizer.ADD_EOS)) && s.eos().isPresent();
        root.set("post_processor", withBosEos(null, tokens, addBos ? new int[]{s.bos().getAsInt()} : new int[0],
                addEos ? new int[]{s.eos().getAsInt()} : new int[0]));
        ArrayNode decoders = F.arrayNode();
        decoders.add(replace(METASPACE, " "));
        decoders.add(F.objectNode().put("type", "ByteFallback"));
        decoders.add(F.objectNode().put("type", "Fuse"));
        if (addSpacePrefix) decoders.add(F.objectNode().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0));
        root.set("decoder", F.objectNode().put("type", "Sequence").set("decoders", decoders));
        ObjectNode m = bpeModel(root, s.unk().isPresent() ? tokens[s.unk().getAsInt()] : null, true, true, false);
        m.set("vocab", vocab(tokens));
        List<String[]> pairs = new ArrayList<>();
        for (SentencePieceMerges.Merge x : SentencePieceMerges.derive(tokens, scores)) {
            pairs.add(new String[]{tokens[x.left()], tokens[x.right()]});
        }
        m.set("merges", merges(pairs));
        return root;
    }

    private static ObjectNode replace(String pattern, String content) {
        ObjectNode r = F.objectNode().put("type", "Replace");
        r.putObject("pattern").put("String", pattern);
        return r.put("content", content);
    }

    // ------------------------------------------------------------------ shared parts

    private static ObjectNode header() {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        return root;
    }

    private static ObjectNode addedToken(int id, String content, boolean special) {
        return F.objectNode().put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", special);
    }

    private static ObjectNode bpeModel(ObjectNode root, String unk, boolean fuseUnk, boolean byteFallback,
                                       boolean ignoreMerges) {
        ObjectNode m = root.putObject("model");
        m.put("type", "BPE");
        m.putNull("dropout");
        if (unk == null) m.putNull("unk_token");
        else m.put("unk_token", unk);
        m.putNull("continuing_subword_prefix");
        m.putNull("end_of_word_suffix");
        m.put("fuse_unk", fuseUnk);
        m.put("byte_fallback", byteFallback);
        m.put("ignore_merges", ignoreMerges);
        return m;
    }

    /** piece -> id in id order; a repeated piece keeps its first id (as our tokenizers and llama.cpp look it up). */
    private static ObjectNode vocab(String[] tokens) {
        ObjectNode v = F.objectNode();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] != null && !v.has(tokens[i])) v.put(tokens[i], i);
        }
        return v;
    }

    /** "a b" strings, or [a, b] pairs when a piece holds a space (tokenizers reads both). */
    private static ArrayNode merges(List<String[]> pairs) {
        boolean spaced = false;
        for (String[] p : pairs) spaced |= p[0].indexOf(' ') >= 0 || p[1].indexOf(' ') >= 0;
        ArrayNode a = F.arrayNode(pairs.size());
        for (String[] p : pairs) {
            if (spaced) a.addArray().add(p[0]).add(p[1]);
            else a.add(p[0] + " " + p[1]);
        }
        return a;
    }

    /**
     * {@code base} alone, or followed by a TemplateProcessing that puts {@code prefix} before and {@code suffix}
     * after the sequence (the pair template repeats them around the second sequence, type id 1).
     */
    private static JsonNode withBosEos(ObjectNode base, String[] tokens, int[] prefix, int[] suffix) {
        if (prefix.length == 0 && suffix.length == 0) return base == null ? F.nullNode() : base;
        ObjectNode t = F.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = t.putArray("single"), pair = t.putArray("pair");
        appendTemplate(single, tokens, prefix, suffix, "A", 0);
        appendTemplate(pair, tokens, prefix, suffix, "A", 0);
        appendTemplate(pair, tokens, prefix, suffix, "B", 1);
        ObjectNode specials = t.putObject("special_tokens");
        Set<Integer> seen = new HashSet<>();
        for (int[] ids : new int[][]{prefix, suffix}) {
            for (int id : ids) {
                if (!seen.add(id)) continue;
                ObjectNode st = specials.putObject(tokens[id]);
                st.put("id", tokens[id]);
                st.putArray("ids").add(id);
                st.putArray("tokens").add(tokens[id]);
            }
        }
        if (base == null) return t;
        ObjectNode seq = F.objectNode().put("type", "Sequence");
        seq.putArray("processors").add(base).add(t);
        return seq;
    }

    private static void appendTemplate(ArrayNode out, String[] tokens, int[] prefix, int[] suffix, String seq, int typeId) {
        for (int id : prefix) out.addObject().putObject("SpecialToken").put("id", tokens[id]).put("type_id", typeId);
        out.addObject().putObject("Sequence").put("id", seq).put("type_id", typeId);
        for (int id : suffix) out.addObject().putObject("SpecialToken").put("id", tokens[id]).put("type_id", typeId);
    }
}
