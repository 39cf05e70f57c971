package dev.slmops.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * BPE with merges by rank, as tokenizers' {@code BPE} model runs it, in two flavours:
 * <ul>
 *   <li>{@link Mode#BYTE_LEVEL}: GPT-2 style; text is UTF-8 bytes written with {@link ByteLevel}'s
 *       characters, split first by a pre-tokenizer regex (GPT-2, Llama-3, Qwen2, SmolLM2).</li>
 *   <li>{@link Mode#BYTE_FALLBACK}: SentencePiece style as tokenizer.json writes Llama-2 / TinyLlama /
 *       Phi-3: characters are the symbols, spaces are '▁', characters missing from the vocabulary become
 *       their {@code <0xNN>} byte tokens.</li>
 * </ul>
 * The pipeline of {@link #encode(String, boolean)}: split on added tokens (raw) -> normalize each stretch
 * -> split on added tokens (normalized) -> metaspace / prefix space -> pre-tokenize -> BPE per piece
 * (cached) -> BOS/EOS wrapping.
 */
final class BpeTokenizer implements Tokenizer {

    enum Mode { BYTE_LEVEL, BYTE_FALLBACK }

    /** Metaspace prepend schemes (tokenizers' PrependScheme). */
    enum Prepend { NEVER, FIRST, ALWAYS }

    /** Everything a loader decides; filled by {@link HfTokenizerJson} or {@link GgufTokenizer}. */
    static final class Spec {
        Mode mode = Mode.BYTE_LEVEL;
        String[] tokens;                   // id -> vocabulary string (model vocabulary and added tokens)
        PairRanks merges;
        boolean ignoreMerges;
        TextNormalizer normalizer;         // null: none
        boolean metaspace;                 // replace ' ' by '▁' before the model
        Prepend metaspacePrepend = Prepend.NEVER;
        boolean metaspaceSplit;
        boolean byteLevelPrefixSpace;
        PreTokenizer preTokenizer = PreTokenizer.WHOLE;
        List<AddedToken> addedTokens = new ArrayList<>();
        int[] prefixIds = new int[0], suffixIds = new int[0];
        int unkId = -1;
        boolean fuseUnk;
        boolean stripLeadingSpaceOnDecode;
        SpecialTokens specials;
        String ggufPre = "default";
        /** the BOS/EOS rules for the GGUF keys add_bos_token / add_eos_token. */
        boolean addBos, addEos;
        /** the tokenizer.json this spec was read from (null when built otherwise); HfTokenizerJsonWriter copies it. */
        java.nio.file.Path hfJsonFile;
    }

    /** Pieces longer than this (chars) are not cached: they rarely repeat. */
    private static final int CACHE_MAX_PIECE = 64;
    private static final char METASPACE = '\u2581';

    private final Spec spec;
    private final String[] tokens;
    private final Vocabulary vocab;
    private final PairRanks merges;
    private final AddedTokenMatcher rawAdded, normalizedAdded;
    /** byte -> id of its initial symbol: byte-level character or {@code <0xNN>} token; -1 if absent. */
    private final int[] byteToId = new int[256];
    private final boolean[] special;
    private final byte[][] tokenBytes;
    private final PieceCache cache = new PieceCache(17);

    BpeTokenizer(Spec spec) {
        this.spec = spec;
        this.tokens = spec.tokens;
        this.merges = spec.merges;
        this.vocab = new Vocabulary(tokens);
        List<AddedToken> raw = new ArrayList<>(), norm = new ArrayList<>();
        for (AddedToken t : spec.addedTokens) (t.normalized() && spec.normalizer != null ? norm : raw).add(t);
        this.rawAdded = new AddedTokenMatcher(raw);
        this.normalizedAdded = new AddedTokenMatcher(norm);
        for (int b = 0; b < 256; b++) {
            String key = spec.mode == Mode.BYTE_LEVEL ? String.valueOf(ByteLevel.BYTE_TO_CHAR[b])
                    : String.format("<0x%02X>", b);
            byteToId[b] = vocab.id(key);
        }
        this.special = new boolean[tokens.length];
        this.tokenBytes = new byte[tokens.length][];
        Map<Integer, AddedToken> added = new HashMap<>();
        for (AddedToken t : spec.addedTokens) added.put(t.id(), t);
        for (int id = 0; id < tokens.length; id++) {
            AddedToken a = added.get(id);
            if (a != null) {
                special[id] = a.special();
                tokenBytes[id] = a.content().getBytes(StandardCharsets.UTF_8);
            } else if (tokens[id] == null) {
                tokenBytes[id] = new byte[0];
            } else {
                tokenBytes[id] = modelTokenBytes(tokens[id]);
            }
        }
    }

    private byte[] modelTokenBytes(String token) {
        if (spec.mode == Mode.BYTE_LEVEL) {
            byte[] b = ByteLevel.decode(token);
            return b != null ? b : token.getBytes(StandardCharsets.UTF_8);
        }
        if (token.length() == 6 && token.startsWith("<0x") && token.endsWith(">")) {
            try {
                return new byte[]{(byte) Integer.parseInt(token.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // an ordinary token that looks like a byte token: fall through
            }
        }
        return token.replace(METASPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ encode

    @Override
    public int[] encode(String text, boolean addSpecial) {
        IntList out = new IntList(text.length() / 3 + 8);
        if (addSpecial) out.addAll(spec.prefixIds);
        IntList segments = new IntList(16);
        rawAdded.split(text, 0, text.length(), segments);
        for (int k = 0; k < segments.size; k += 3) {
            int start = segments.a[k], end = segments.a[k + 1], id = segments.a[k + 2];
            if (id >= 0) out.add(id);
            else encodeRawText(text.substring(start, end), start == 0, out);
        }
        if (addSpecial) out.addAll(spec.suffixIds);
        return out.toArray();
    }

    private void encodeRawText(String raw, boolean atStart, IntList out) {
        String text = spec.normalizer == null ? raw : spec.normalizer.normalize(raw);
        if (normalizedAdded.isEmpty()) {
            encodeNormalized(text, atStart, out);
            return;
        }
        IntList segments = new IntList(8);
        normalizedAdded.split(text, 0, text.length(), segments);
        for (int k = 0; k < segments.size; k += 3) {
            int id = segments.a[k + 2];
            if (id >= 0) out.add(id);
            else encodeNormalized(text.substring(segments.a[k], segments.a[k + 1]), atStart && segments.a[k] == 0, out);
        }
    }

    private void encodeNormalized(String s, boolean atStart, IntList out) {
        if (s.isEmpty()) return;
        if (spec.metaspace) {
            s = s.replace(' ', METASPACE);
            boolean prepend = spec.metaspacePrepend == Prepend.ALWAYS
                    || (spec.metaspacePrepend == Prepend.FIRST && atStart);
            if (prepend && s.charAt(0) != METASPACE) s = METASPACE + s;
        } else if (spec.byteLevelPrefixSpace && s.charAt(0) != ' ') {
            s = " " + s;
        }
        IntList ends = new IntList(s.length() / 4 + 4);
        if (spec.metaspace && spec.metaspaceSplit) splitBeforeMetaspace(s, ends);
        else spec.preTokenizer.split(s, 0, s.length(), ends);
        int start = 0;
        for (int i = 0; i < ends.size; i++) {
            encodePiece(s, start, ends.a[i], out);
            start = ends.a[i];
        }
    }

    private static void splitBeforeMetaspace(String s, IntList ends) {
        for (int i = 1; i < s.length(); i++) if (s.charAt(i) == METASPACE) ends.add(i);
        ends.add(s.length());
    }

    private void encodePiece(String s, int from, int to, IntList out) {
        boolean cacheable = to - from <= CACHE_MAX_PIECE;
        int h = cacheable ? PieceCache.hash(s, from, to) : 0;
        int[] ids = cacheable ? cache.get(s, from, to, h) : null;
        if (ids == null) {
            String piece = s.substring(from, to);
            ids = spec.mode == Mode.BYTE_LEVEL ? bpeByteLevel(piece) : bpeByteFallback(piece);
            if (cacheable) cache.put(piece, h, ids);
        }
        out.addAll(ids);
    }

    /** One pre-tokenized piece, byte-level: UTF-8 bytes -> byte symbols -> merges. */
    int[] bpeByteLevel(String piece) {
        byte[] utf8 = piece.getBytes(StandardCharsets.UTF_8);
        if (spec.ignoreMerges) {
            int whole = vocab.id(ByteLevel.encode(utf8, 0, utf8.length));
            if (whole >= 0) return new int[]{whole};
        }
        int[] syms = new int[utf8.length];
        int n = 0;
        for (byte b : utf8) {
            int id = byteToId[b & 0xFF];
            if (id >= 0) syms[n++] = id;
            else if (spec.unkId >= 0 && !(spec.fuseUnk && n > 0 && syms[n - 1] == spec.unkId)) syms[n++] = spec.unkId;
        }
        n = BpeMerger.merge(merges, syms, n);
        return java.util.Arrays.copyOf(syms, n);
    }

    /** One piece, SentencePiece style: characters (or their byte tokens) -> merges. */
    int[] bpeByteFallback(String piece) {
        if (spec.ignoreMerges) {
            int whole = vocab.id(piece);
            if (whole >= 0) return new int[]{whole};
        }
        IntList syms = new IntList(piece.length() + 4);
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            int len = Character.charCount(cp);
            int id = vocab.id(piece.substring(i, i + len));
            i += len;
            if (id >= 0) {
                syms.add(id);
                continue;
            }
            byte[] utf8 = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            boolean allBytes = true;
            for (byte b : utf8) allBytes &= byteToId[b & 0xFF] >= 0;
            if (allBytes) {
                for (byte b : utf8) syms.add(byteToId[b & 0xFF]);
            } else if (spec.unkId >= 0) {
                if (!(spec.fuseUnk && syms.size > 0 && syms.a[syms.size - 1] == spec.unkId)) syms.add(spec.unkId);
            }
        }
        int n = BpeMerger.merge(merges, syms.a, syms.size);
        return java.util.Arrays.copyOf(syms.a, n);
    }

    // ------------------------------------------------------------------ decode

    @Override
    public String decode(int[] idArray, boolean skipSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(idArray.length * 4);
        for (int id : idArray) {
            byte[] b = bytesOf(id, skipSpecial);
            if (b != null) bytes.writeBytes(b);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        if (spec.stripLeadingSpaceOnDecode && text.startsWith(" ")) text = text.substring(1);
        return text;
    }

    private byte[] bytesOf(int id, boolean skipSpecial) {
        vocab.checkId(id);
        if (skipSpecial && special[id]) return null;
        return tokenBytes[id];
    }

    @Override
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new StreamingDecoder(id -> bytesOf(id, skipSpecial), spec.stripLeadingSpaceOnDecode);
    }

    // ------------------------------------------------------------------ vocabulary

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public String token(int id) {
        return vocab.token(id);
    }

    @Override
    public OptionalInt tokenId(String token) {
        return vocab.tokenId(token);
    }

    @Override
    public SpecialTokens specials() {
        return spec.specials;
    }

    @Override
    public String kind() {
        return spec.mode == Mode.BYTE_LEVEL ? "bpe-bytelevel" : "spm";
    }

    @Override
    public boolean isSpecial(int id) {
        return special[id];
    }

    @Override
    public byte[] tokenBytes(int id) {
        return bytesOf(id, false).clone();
    }

    Spec spec() {
        return spec;
    }

    @Override
    public Map<String, Object> toGgufMetadata() {
        return GgufTokenizer.metadataOf(this);
    }

    /** Added tokens by id (for the GGUF token types). */
    Map<Integer, AddedToken> addedById() {
        Map<Integer, AddedToken> m = new LinkedHashMap<>();
        for (AddedToken t : spec.addedTokens) m.put(t.id(), t);
        return m;
    }

    PairRanks merges() {
        return merges;
    }
}
