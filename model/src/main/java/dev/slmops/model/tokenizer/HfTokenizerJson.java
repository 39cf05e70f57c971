package dev.slmops.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Reads a Hugging Face {@code tokenizer.json} (and optionally {@code tokenizer_config.json} and
 * {@code generation_config.json}) into a {@link BpeTokenizer}. Supported: model BPE; normalizers NFC, NFD,
 * NFKC, NFKD, Prepend, Replace, Sequence; pre-tokenizers ByteLevel, Split (Isolated), Digits, Metaspace,
 * Sequence; post-processors ByteLevel, TemplateProcessing, Sequence.
 */
final class HfTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final BpeTokenizer.Spec spec = new BpeTokenizer.Spec();
    private boolean sawByteLevel;
    private final List<String> preNames = new ArrayList<>();

    private HfTokenizerJson(Path file) {
        this.file = file;
    }

    static Tokenizer load(Path tokenizerJson, Path tokenizerConfig, Path generationConfig) {
        HfTokenizerJson loader = new HfTokenizerJson(tokenizerJson);
        JsonNode root = read(tokenizerJson);
        JsonNode config = tokenizerConfig == null ? null : read(tokenizerConfig);
        JsonNode generation = generationConfig == null ? null : read(generationConfig);
        return new BpeTokenizer(loader.build(root, config, generation));
    }

    private static JsonNode read(Path p) {
        if (!Files.isRegularFile(p)) {
            throw new TokenizerFormatException(p + " does not exist: expected a Hugging Face tokenizer file");
        }
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new TokenizerFormatException(p + " is not valid JSON: " + e.getMessage(), e);
        }
    }

    private TokenizerFormatException unsupported(String what, String found, String supported) {
        return new TokenizerFormatException(file + ": unsupported " + what + " '" + found + "' (supported: "
                + supported + ")");
    }

    private BpeTokenizer.Spec build(JsonNode root, JsonNode config, JsonNode generation) {
        JsonNode model = root.path("model");
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw unsupported("model type", type, "BPE");
        if (!model.path("continuing_subword_prefix").asText("").isEmpty()
                || !model.path("end_of_word_suffix").asText("").isEmpty()) {
            throw unsupported("BPE option", "continuing_subword_prefix/end_of_word_suffix", "none set");
        }
        // vocabulary: model vocab plus added tokens, dense by id
        JsonNode vocab = model.path("vocab");
        int maxId = -1;
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            maxId = Math.max(maxId, it.next().getValue().asInt());
        }
        for (JsonNode t : root.path("added_tokens")) maxId = Math.max(maxId, t.path("id").asInt());
        String[] tokens = new String[maxId + 1];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
        }
        for (JsonNode t : root.path("added_tokens")) {
            AddedToken a = new AddedToken(t.path("id").asInt(), t.path("content").asText(),
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false),
                    t.path("rstrip").asBoolean(false), t.path("normalized").asBoolean(true),
                    t.path("special").asBoolean(false));
            spec.addedTokens.add(a);
            if (tokens[a.id()] == null) tokens[a.id()] = a.content();
        }
        spec.tokens = tokens;
        java.util.HashMap<String, Integer> ids = new java.util.HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) if (tokens[i] != null) ids.putIfAbsent(tokens[i], i);
        // merges: "a b" strings or [a, b] pairs
        JsonNode merges = model.path("merges");
        spec.merges = new PairRanks(merges.size());
        int rank = 0;
        for (JsonNode m : merges) {
            String a, b;
            if (m.isArray()) {
                a = m.get(0).asText();
                b = m.get(1).asText();
            } else {
                String s = m.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0) throw new TokenizerFormatException(file + ": merge " + rank + " '" + s + "' is not 'a b'");
                a = s.substring(0, sp);
                b = s.substring(sp + 1);
            }
            Integer ia = ids.get(a), ib = ids.get(b), im = ids.get(a + b);
            if (ia == null || ib == null || im == null) {
                throw new TokenizerFormatException(file + ": merge " + rank + " (" + a + " " + b
                        + ") names a token missing from the vocabulary");
            }
            spec.merges.add(ia, ib, im);
            rank++;
        }
        spec.ignoreMerges = model.path("ignore_merges").asBoolean(false);
        spec.fuseUnk = model.path("fuse_unk").asBoolean(false);
        if (model.hasNonNull("unk_token")) {
            Integer unk = ids.get(model.get("unk_token").asText());
            spec.unkId = unk == null ? -1 : unk;
        }
        spec.normalizer = normalizer(root.path("normalizer"));
        spec.preTokenizer = preTokenizer(root.path("pre_tokenizer"));
        spec.mode = sawByteLevel ? BpeTokenizer.Mode.BYTE_LEVEL : BpeTokenizer.Mode.BYTE_FALLBACK;
        spec.ggufPre = ggufPreName();
        postProcessor(root.path("post_processor"), ids);
        spec.stripLeadingSpaceOnDecode = spec.mode == BpeTokenizer.Mode.BYTE_FALLBACK && prependsSpace(root);
        applyConfig(config, generation, ids);
        spec.hfJsonFile = file;
        return spec;
    }

    private boolean prependsSpace(JsonNode root) {
        if (spec.metaspace) return spec.metaspacePrepend != BpeTokenizer.Prepend.NEVER;
        return root.path("normalizer").toString().contains("\"Prepend\"");
    }

    // ------------------------------------------------------------------ normalizer

    private TextNormalizer normalizer(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) return null;
        String type = n.path("type").asText();
        return switch (type) {
            case "NFC" -> TextNormalizer.unicode(Normalizer.Form.NFC);
            case "NFD" -> TextNormalizer.unicode(Normalizer.Form.NFD);
            case "NFKC" -> TextNormalizer.unicode(Normalizer.Form.NFKC);
            case "NFKD" -> TextNormalizer.unicode(Normalizer.Form.NFKD);
            case "Prepend" -> TextNormalizer.prepend(n.path("prepend").asText());
            case "Replace" -> {
                JsonNode p = n.path("pattern");
                if (!p.has("String")) throw unsupported("Replace normalizer pattern", p.toString(), "{\"String\": ...}");
                yield TextNormalizer.replace(p.get("String").asText(), n.path("content").asText());
            }
            case "Sequence" -> {
                List<TextNormalizer> steps = new ArrayList<>();
                for (JsonNode c : n.path("normalizers")) {
                    TextNormalizer s = normalizer(c);
                    if (s != null) steps.add(s);
                }
                yield TextNormalizer.sequence(steps);
            }
            default -> throw unsupported("normalizer", type, "NFC, NFD, NFKC, NFKD, Prepend, Replace, Sequence");
        };
    }

    // ------------------------------------------------------------------ pre-tokenizer

    private PreTokenizer preTokenizer(JsonNode n) {
        if (n.isMissingNode() || n.isNull()) return PreTokenizer.WHOLE;
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence": {
                List<PreTokenizer> stages = new ArrayList<>();
                for (JsonNode c : n.path("pretokenizers")) {
                    PreTokenizer p = preTokenizer(c);
                    if (p != PreTokenizer.WHOLE) stages.add(p);
                }
                return PreTokenizer.sequence(stages.toArray(new PreTokenizer[0]));
            }
            case "ByteLevel": {
                sawByteLevel = true;
                spec.byteLevelPrefixSpace = n.path("add_prefix_space").asBoolean(false);
                if (!n.path("use_regex").asBoolean(true)) return PreTokenizer.WHOLE;
                preNames.add("gpt-2");
                return new Gpt2Scanner();
            }
            case "Split": {
                String behavior = n.path("behavior").asText("Isolated");
                if (!behavior.equals("Isolated") || n.path("invert").asBoolean(false)) {
                    throw unsupported("Split behavior", behavior + (n.path("invert").asBoolean() ? " inverted" : ""),
                            "Isolated, not inverted");
                }
                JsonNode p = n.path("pattern");
                String regex = p.has("Regex") ? p.get("Regex").asText()
                        : java.util.regex.Pattern.quote(p.path("String").asText());
                PreTokenizer scanner = PreTokenizerPatterns.scannerFor(regex);
                preNames.add(switch (regex) {
                    case PreTokenizerPatterns.LLAMA3 -> "llama-bpe";
                    case PreTokenizerPatterns.QWEN2 -> "qwen2";
                    case PreTokenizerPatterns.GPT2 -> "gpt-2";
                    default -> "default";
                });
                return scanner != null ? scanner : new RegexPreTokenizer(regex);
            }
            case "Digits": {
                preNames.add("digits");
                return new DigitsPreTokenizer(n.path("individual_digits").asBoolean(false));
            }
            case "Metaspace": {
                spec.metaspace = true;
                spec.metaspaceSplit = n.path("split").asBoolean(true);
                String scheme = n.path("prepend_scheme").asText(
                        n.path("add_prefix_space").asBoolean(true) ? "always" : "never");
                spec.metaspacePrepend = switch (scheme) {
                    case "always" -> BpeTokenizer.Prepend.ALWAYS;
                    case "first" -> BpeTokenizer.Prepend.FIRST;
                    case "never" -> BpeTokenizer.Prepend.NEVER;
                    default -> throw unsupported("Metaspace prepend_scheme", scheme, "always, first, never");
                };
                if (!n.path("replacement").asText("\u2581").equals("\u2581")) {
                    throw unsupported("Metaspace replacement", n.path("replacement").asText(), "\u2581");
                }
                return PreTokenizer.WHOLE;
            }
            default:
                throw unsupported("pre_tokenizer", type, "ByteLevel, Split (Isolated), Digits, Metaspace, Sequence");
        }
    }

    /** llama.cpp's name (tokenizer.ggml.pre) for the pre-tokenizer seen. */
    private String ggufPreName() {
        if (spec.mode != BpeTokenizer.Mode.BYTE_LEVEL) return "default";
        if (preNames.equals(List.of("digits", "gpt-2"))) return "smollm";
        if (preNames.size() == 1) return preNames.getFirst();
        return "default";
    }

    // ------------------------------------------------------------------ post-processor and config

    private void postProcessor(JsonNode n, Map<String, Integer> ids) {
        if (n.isMissingNode() || n.isNull()) return;
        String type = n.path("type").asText();
        switch (type) {
            case "ByteLevel" -> {
            }
            case "Sequence" -> {
                for (JsonNode c : n.path("processors")) postProcessor(c, ids);
            }
            case "TemplateProcessing" -> {
                IntList prefix = new IntList(2), suffix = new IntList(2);
                boolean seenA = false;
                for (JsonNode piece : n.path("single")) {
                    if (piece.has("Sequence")) {
                        seenA = true;
                        continue;
                    }
                    String name = piece.path("SpecialToken").path("id").asText();
                    JsonNode st = n.path("special_tokens").path(name);
                    for (JsonNode id : st.path("ids")) (seenA ? suffix : prefix).add(id.asInt());
                }
                spec.prefixIds = prefix.toArray();
                spec.suffixIds = suffix.toArray();
            }
            default -> throw unsupported("post_processor", type, "ByteLevel, TemplateProcessing, Sequence");
        }
    }

    private static Optional<String> tokenText(JsonNode config, String key) {
        if (config == null) return Optional.empty();
        JsonNode v = config.path(key);
        if (v.isTextual()) return Optional.of(v.asText());
        if (v.isObject() && v.path("content").isTextual()) return Optional.of(v.get("content").asText());
        return Optional.empty();
    }

    private void applyConfig(JsonNode config, JsonNode generation, Map<String, Integer> ids) {
        Optional<String> bos = tokenText(config, "bos_token"), eos = tokenText(config, "eos_token"),
                pad = tokenText(config, "pad_token"), unk = tokenText(config, "unk_token");
        if (bos.isEmpty() && spec.prefixIds.length > 0) bos = Optional.ofNullable(spec.tokens[spec.prefixIds[0]]);
        if (eos.isEmpty() && spec.suffixIds.length > 0) eos = Optional.ofNullable(spec.tokens[spec.suffixIds[0]]);
        if (unk.isEmpty() && spec.unkId >= 0) unk = Optional.of(spec.tokens[spec.unkId]);
        OptionalInt bosId = idOf(bos, ids), eosId = idOf(eos, ids), padId = idOf(pad, ids), unkId = idOf(unk, ids);
        Set<Integer> eosSet = new LinkedHashSet<>();
        if (eosId.isPresent()) eosSet.add(eosId.getAsInt());
        if (generation != null) {
            JsonNode g = generation.path("eos_token_id");
            if (g.isInt()) eosSet.add(g.asInt());
            for (JsonNode x : g) eosSet.add(x.asInt());
        }
        for (AddedToken t : spec.addedTokens) {
            if (t.special() && END_OF_TURN.contains(t.content())) eosSet.add(t.id());
        }
        spec.specials = new SpecialTokens(bosId, eosSet.stream().mapToInt(Integer::intValue).toArray(), padId, unkId,
                bos, eosSet.isEmpty() ? Optional.empty() : Optional.of(spec.tokens[eosSet.iterator().next()]),
                pad, unk);
        // add_bos_token / add_eos_token, where the config states them, decide the wrapping
        spec.addBos = spec.prefixIds.length > 0;
        spec.addEos = spec.suffixIds.length > 0;
        if (config != null && config.path("add_bos_token").isBoolean()) {
            spec.addBos = config.get("add_bos_token").asBoolean() && bosId.isPresent();
            spec.prefixIds = spec.addBos ? new int[]{bosId.getAsInt()} : new int[0];
        }
        if (config != null && config.path("add_eos_token").isBoolean()) {
            spec.addEos = config.get("add_eos_token").asBoolean() && eosId.isPresent();
            spec.suffixIds = spec.addEos ? new int[]{eosId.getAsInt()} : new int[0];
        }
    }

    /** Tokens that end a turn in chat models: generation stops at them as at EOS (llama.cpp's EOG set). */
    static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>",
            "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>");

    private static OptionalInt idOf(Optional<String> text, Map<String, Integer> ids) {
        if (text.isEmpty()) return OptionalInt.empty();
        Integer id = ids.get(text.get());
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }
}
