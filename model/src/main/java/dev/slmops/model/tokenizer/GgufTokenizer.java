package dev.slmops.model.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The {@code tokenizer.ggml.*} keys of GGUF, both ways: reads them (as plain Java values: Long, Float,
 * Double, Boolean, String, List) into a tokenizer the way llama.cpp does, and writes them for a tokenizer.
 * Token types are llama.cpp's: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
 */
final class GgufTokenizer {
    static final String MODEL = "tokenizer.ggml.model", PRE = "tokenizer.ggml.pre", TOKENS = "tokenizer.ggml.tokens",
            SCORES = "tokenizer.ggml.scores", TYPES = "tokenizer.ggml.token_type", MERGES = "tokenizer.ggml.merges",
            BOS = "tokenizer.ggml.bos_token_id", EOS = "tokenizer.ggml.eos_token_id",
            UNK = "tokenizer.ggml.unknown_token_id", PAD = "tokenizer.ggml.padding_token_id",
            EOT = "tokenizer.ggml.eot_token_id", ADD_BOS = "tokenizer.ggml.add_bos_token",
            ADD_EOS = "tokenizer.ggml.add_eos_token", ADD_SPACE_PREFIX = "tokenizer.ggml.add_space_prefix";

    /** tokenizer.ggml.pre values this project reads, and what each means. */
    static final String SUPPORTED_PRE = "llama-bpe, llama3, llama-v3, qwen2, smollm, gpt-2, default";

    /**
     * Token texts llama.cpp makes CONTROL whatever the file says ("control-looking token ... its type will be
     * overridden"): its end-of-generation and fill-in-the-middle lists. They are then matched in text as
     * special tokens, e.g. a plain "</s>" entry of the Qwen vocabulary.
     */
    static final Set<String> CONTROL_LOOKING = Set.of(
            "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
            "_<EOT>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "<end_of_turn>", "</s>",
            "<|fim_prefix|>", "<fim-prefix>", "<\uFF5Cfim\u2581begin\uFF5C>", "<PRE>", "\u2581<PRE>", "<|code_prefix|>",
            "<|fim_suffix|>", "<fim-suffix>", "<\uFF5Cfim\u2581hole\uFF5C>", "<SUF>", "\u2581<SUF>", "<|code_suffix|>",
            "<|fim_middle|>", "<fim-middle>", "<\uFF5Cfim\u2581end\uFF5C>", "<MID>", "\u2581<MID>", "<|code_middle|>",
            "<|fim_pad|>", "<fim-pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>",
            "<|fim_sep|>", "<|file_sep|>", "<fim-sep>", "<SEP>");

    private GgufTokenizer() {
    }

    // ------------------------------------------------------------------ read

    static Tokenizer fromMetadata(Map<String, Object> md) {
        Object model = md.get(MODEL);
        if (model == null) throw new TokenizerFormatException("GGUF metadata has no " + MODEL + ": the file carries no tokenizer");
        List<?> tokenList = list(md, TOKENS, true);
        String[] tokens = new String[tokenList.size()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = String.valueOf(tokenList.get(i));
        int[] types = new int[tokens.length];
        List<?> typeList = list(md, TYPES, false);
        for (int i = 0; i < types.length; i++) types[i] = typeList == null ? SpmTokenizer.NORMAL : ((Number) typeList.get(i)).intValue();
        for (int i = 0; i < types.length; i++) {
            if (types[i] != SpmTokenizer.CONTROL && CONTROL_LOOKING.contains(tokens[i])) types[i] = SpmTokenizer.CONTROL;
        }
        return switch (String.valueOf(model)) {
            case "llama" -> spm(md, tokens, types);
            case "gpt2" -> bpe(md, tokens, types);
            default -> throw new TokenizerFormatException("GGUF " + MODEL + " = '" + model
                    + "' is not supported (supported: llama (SentencePiece BPE), gpt2 (byte-level BPE))");
        };
    }

    private static Tokenizer spm(Map<String, Object> md, String[] tokens, int[] types) {
        List<?> scoreList = list(md, SCORES, true);
        if (scoreList.size() != tokens.length) {
            throw new TokenizerFormatException("GGUF " + SCORES + " has " + scoreList.size() + " entries but "
                    + TOKENS + " has " + tokens.length);
        }
        float[] scores = new float[tokens.length];
        for (int i = 0; i < scores.length; i++) scores[i] = ((Number) scoreList.get(i)).floatValue();
        SpecialTokens specials = specials(md, tokens, types, 1, 2, 0, -1);
        return new SpmTokenizer(tokens, scores, types, specials, bool(md, ADD_BOS, true), bool(md, ADD_EOS, false),
                bool(md, ADD_SPACE_PREFIX, true));
    }

    private static Tokenizer bpe(Map<String, Object> md, String[] tokens, int[] types) {
        BpeTokenizer.Spec spec = new BpeTokenizer.Spec();
        spec.mode = BpeTokenizer.Mode.BYTE_LEVEL;
        spec.tokens = tokens;
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        List<?> merges = list(md, MERGES, true);
        spec.merges = new PairRanks(merges.size());
        for (int r = 0; r < merges.size(); r++) {
            String m = String.valueOf(merges.get(r));
            int sp = m.indexOf(' ', 1);
            Integer a = sp < 0 ? null : ids.get(m.substring(0, sp)), b = sp < 0 ? null : ids.get(m.substring(sp + 1)),
                    c = sp < 0 ? null : ids.get(m.substring(0, sp) + m.substring(sp + 1));
            if (a == null || b == null || c == null) {
                throw new TokenizerFormatException("GGUF " + MERGES + "[" + r + "] = '" + m
                        + "' is not 'a b' with a, b and ab in " + TOKENS);
            }
            spec.merges.add(a, b, c);
        }
        String pre = md.containsKey(PRE) ? String.valueOf(md.get(PRE)) : "default";
        boolean defaultAddBos = false;
        switch (pre) {
            case "llama-bpe", "llama3", "llama-v3" -> {
                spec.preTokenizer = new Llama3Scanner(3, false);
                spec.ignoreMerges = true;
                defaultAddBos = true;
                pre = "llama-bpe";
            }
            case "qwen2" -> spec.preTokenizer = new Llama3Scanner(1, false);
            case "smollm" -> spec.preTokenizer = PreTokenizer.sequence(new DigitsPreTokenizer(true), new Gpt2Scanner());
            case "gpt-2" -> spec.preTokenizer = new Gpt2Scanner();
            case "default" -> spec.preTokenizer = PreTokenizer.sequence(
                    new RegexPreTokenizer("[\\p{P}\\$\\+<=>\\^~\\|]+"), new Gpt2Scanner(),
                    new RegexPreTokenizer("\\p{N}+"), new RegexPreTokenizer("[0-9][0-9][0-9]"));
            default -> throw new TokenizerFormatException("GGUF " + PRE + " = '" + pre
                    + "' is not supported (supported: " + SUPPORTED_PRE + ")");
        }
        spec.ggufPre = pre;
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] == SpmTokenizer.CONTROL || types[i] == SpmTokenizer.USER_DEFINED) {
                spec.addedTokens.add(new AddedToken(i, tokens[i], false, false, false, false,
                        types[i] == SpmTokenizer.CONTROL));
            }
        }
        spec.specials = specials(md, tokens, types, -1, -1, -1, -1);   // llama.cpp would default BOS/EOS to 11; absent means none here
        spec.addBos = bool(md, ADD_BOS, defaultAddBos) && spec.specials.bos().isPresent();
        spec.addEos = bool(md, ADD_EOS, false) && spec.specials.eos().isPresent();
        spec.prefixIds = spec.addBos ? new int[]{spec.specials.bos().getAsInt()} : new int[0];
        spec.suffixIds = spec.addEos ? new int[]{spec.specials.eos().getAsInt()} : new int[0];
        return new BpeTokenizer(spec);
    }

    private static SpecialTokens specials(Map<String, Object> md, String[] tokens, int[] types, int bosDefault,
                                          int eosDefault, int unkDefault, int padDefault) {
        int bos = id(md, BOS, bosDefault, tokens.length), eos = id(md, EOS, eosDefault, tokens.length),
                unk = id(md, UNK, unkDefault, tokens.length), pad = id(md, PAD, padDefault, tokens.length);
        Set<Integer> eosSet = new LinkedHashSet<>();
        if (eos >= 0) eosSet.add(eos);
        int eot = id(md, EOT, -1, tokens.length);
        if (eot >= 0) eosSet.add(eot);
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] == SpmTokenizer.CONTROL && HfTokenizerJson.END_OF_TURN.contains(tokens[i])) eosSet.add(i);
        }
        int[] eosIds = eosSet.stream().mapToInt(Integer::intValue).toArray();
        return new SpecialTokens(opt(bos), eosIds, opt(pad), opt(unk), text(tokens, bos),
                eosIds.length == 0 ? Optional.empty() : Optional.of(tokens[eosIds[0]]), text(tokens, pad), text(tokens, unk));
    }

    private static OptionalInt opt(int id) {
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    private static Optional<String> text(String[] tokens, int id) {
        return id < 0 ? Optional.empty() : Optional.of(tokens[id]);
    }

    private static int id(Map<String, Object> md, String key, int dflt, int n) {
        Object v = md.get(key);
        int id = v instanceof Number x ? x.intValue() : dflt;
        return id >= 0 && id < n ? id : -1;
    }

    private static boolean bool(Map<String, Object> md, String key, boolean dflt) {
        Object v = md.get(key);
        return v instanceof Boolean b ? b : dflt;
    }

    private static List<?> list(Map<String, Object> md, String key, boolean required) {
        Object v = md.get(key);
        if (v == null) {
            if (required) throw new TokenizerFormatException("GGUF metadata has no " + key + " (needed for a "
                    + md.get(MODEL) + " tokenizer)");
            return null;
        }
        if (!(v instanceof List<?> l)) {
            throw new TokenizerFormatException("GGUF " + key + " is a " + v.getClass().getSimpleName() + ", expected an array");
        }
        return l;
    }

    // ------------------------------------------------------------------ write

    static Map<String, Object> commonKeys(String model, String pre, List<String> tokens, List<Long> types,
                                          SpecialTokens specials, boolean addBos, boolean addEos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(MODEL, model);
        m.put(PRE, pre);
        m.put(TOKENS, tokens);
        m.put(TYPES, types);
        specials.bos().ifPresent(id -> m.put(BOS, (long) id));
        specials.eos().ifPresent(id -> m.put(EOS, (long) id));
        specials.unk().ifPresent(id -> m.put(UNK, (long) id));
        specials.pad().ifPresent(id -> m.put(PAD, (long) id));
        m.put(ADD_BOS, addBos);
        m.put(ADD_EOS, addEos);
        return m;
    }

    static Map<String, Object> metadataOf(BpeTokenizer t) {
        BpeTokenizer.Spec spec = t.spec();
        Map<Integer, AddedToken> added = t.addedById();
        int n = t.vocabSize();
        List<String> tokens = new ArrayList<>(n);
        List<Long> types = new ArrayList<>(n);
        int unk = spec.unkId;
        for (int i = 0; i < n; i++) {
            String tok = spec.tokens[i];
            AddedToken a = added.get(i);
            int type;
            if (tok == null) {
                tok = "[PAD" + i + "]";
                type = SpmTokenizer.UNUSED;
            } else if (i == unk) {
                type = SpmTokenizer.UNKNOWN;
            } else if (a != null) {
                type = a.special() ? SpmTokenizer.CONTROL : SpmTokenizer.USER_DEFINED;
            } else if (spec.mode == BpeTokenizer.Mode.BYTE_FALLBACK && tok.length() == 6 && tok.startsWith("<0x")
                    && tok.endsWith(">")) {
                type = SpmTokenizer.BYTE;
            } else {
                type = SpmTokenizer.NORMAL;
            }
            tokens.add(tok);
            types.add((long) type);
        }
        if (spec.mode == BpeTokenizer.Mode.BYTE_LEVEL) {
            Map<String, Object> m = commonKeys("gpt2", spec.ggufPre, tokens, types, spec.specials, spec.addBos, spec.addEos);
            int[][] pairs = t.merges().pairsInRankOrder();
            List<String> merges = new ArrayList<>(pairs.length);
            for (int[] p : pairs) merges.add(spec.tokens[p[0]] + " " + spec.tokens[p[1]]);
            m.put(MERGES, merges);
            return m;
        }
        // SentencePiece style: llama.cpp merges by score, so each merged token scores minus the rank of the
        // first merge producing it (earlier merge = higher score); other tokens are never a merge result.
        float[] scores = new float[n];
        java.util.Arrays.fill(scores, -1e9f);
        int[][] pairs = t.merges().pairsInRankOrder();
        for (int r = pairs.length - 1; r >= 0; r--) scores[t.merges().merged(r)] = -r;
        List<Float> scoreList = new ArrayList<>(n);
        for (float f : scores) scoreList.add(f);
        Map<String, Object> m = commonKeys("llama", "default", tokens, types, spec.specials, spec.addBos, spec.addEos);
        m.put(SCORES, scoreList);
        m.put(ADD_SPACE_PREFIX, spec.stripLeadingSpaceOnDecode);
        return m;
    }
}
