package dev.slmops.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;

/**
 * llama.cpp's SentencePiece-BPE tokenizer (GGUF {@code tokenizer.ggml.model = "llama"}): the text, with
 * spaces written as '▁' and a '▁' prepended after BOS / a special token (add_space_prefix), starts as one
 * symbol per character; the adjacent pair whose concatenation is a vocabulary token of the highest score
 * (leftmost on ties) is merged until none is left; characters that are not tokens become their
 * {@code <0xNN>} byte tokens.
 */
final class SpmTokenizer implements Tokenizer {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final char METASPACE = '\u2581';

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final Vocabulary vocab;
    private final AddedTokenMatcher specialMatcher;
    private final int[] byteIds = new int[256];
    private final byte[][] tokenBytes;
    private final SpecialTokens specials;
    private final boolean addBos, addEos, addSpacePrefix;
    private final int unkId;

    SpmTokenizer(String[] tokens, float[] scores, int[] types, SpecialTokens specials, boolean addBos,
                 boolean addEos, boolean addSpacePrefix) {
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
        this.specials = specials;
        this.addBos = addBos && specials.bos().isPresent();
        this.addEos = addEos && specials.eos().isPresent();
        this.addSpacePrefix = addSpacePrefix;
        this.unkId = specials.unk().orElse(-1);
        this.vocab = new Vocabulary(tokens);
        List<AddedToken> added = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] == CONTROL || types[i] == USER_DEFINED || types[i] == UNKNOWN) {
                added.add(new AddedToken(i, tokens[i], false, false, false, false, types[i] != USER_DEFINED));
            }
        }
        this.specialMatcher = new AddedTokenMatcher(added);
        for (int b = 0; b < 256; b++) byteIds[b] = vocab.tokenId(String.format("<0x%02X>", b)).orElse(-1);
        this.tokenBytes = new byte[tokens.length][];
        for (int i = 0; i < tokens.length; i++) {
            String t = tokens[i];
            if (types[i] == BYTE && t.length() == 6 && t.startsWith("<0x")) {
                tokenBytes[i] = new byte[]{(byte) Integer.parseInt(t.substring(3, 5), 16)};
            } else if (types[i] == NORMAL || types[i] == UNUSED) {
                tokenBytes[i] = t.replace(METASPACE, ' ').getBytes(StandardCharsets.UTF_8);
            } else {
                tokenBytes[i] = t.getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    @Override
    public int[] encode(String text, boolean addSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        if (addSpecial && addBos) out.add(specials.bos().getAsInt());
        IntList segments = new IntList(16);
        specialMatcher.split(text, 0, text.length(), segments);
        boolean prevSpecial = true;
        for (int k = 0; k < segments.size; k += 3) {
            int id = segments.a[k + 2];
            if (id >= 0) {
                out.add(id);
                prevSpecial = true;
                continue;
            }
            String raw = text.substring(segments.a[k], segments.a[k + 1]);
            String escaped = ((addSpacePrefix && prevSpecial) ? " " + raw : raw).replace(' ', METASPACE);
            tokenizeFragment(escaped, out);
            prevSpecial = false;
        }
        if (addSpecial && addEos) out.add(specials.eos().getAsInt());
        return out.toArray();
    }

    private record Bigram(int left, int right, float score, int size) {
    }

    /** One fragment of escaped text; offsets and sizes are UTF-16 chars. */
    void tokenizeFragment(String s, IntList out) {
        int n = s.codePointCount(0, s.length());
        int[] start = new int[n], len = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0, off = 0; i < n; i++) {
            start[i] = off;
            len[i] = Character.charCount(s.codePointAt(off));
            off += len[i];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score
                ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) tryAddBigram(s, start, len, i - 1, i, queue);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (len[b.left] == 0 || len[b.right] == 0 || len[b.left] + len[b.right] != b.size) continue;
            len[b.left] += len[b.right];
            len[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) prev[next[b.right]] = b.left;
            if (prev[b.left] >= 0) tryAddBigram(s, start, len, prev[b.left], b.left, queue);
            if (next[b.left] >= 0) tryAddBigram(s, start, len, b.left, next[b.left], queue);
        }
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            String piece = s.substring(start[i], start[i] + len[i]);
            int id = vocab.id(piece);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) {
                int bid = byteIds[b & 0xFF];
                if (bid >= 0) out.add(bid);
                else if (unkId >= 0) out.add(unkId);
            }
        }
    }

    private void tryAddBigram(String s, int[] start, int[] len, int left, int right, PriorityQueue<Bigram> queue) {
        if (left < 0 || right < 0) return;
        int size = len[left] + len[right];
        int id = vocab.id(s.substring(start[left], start[left] + size));
        if (id < 0) return;
        queue.add(new Bigram(left, right, scores[id], size));
    }

    @Override
    public String decode(int[] idArray, boolean skipSpecial) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(idArray.length * 4);
        for (int id : idArray) {
            byte[] b = bytesOf(id, skipSpecial);
            if (b != null) bytes.writeBytes(b);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        return addSpacePrefix && text.startsWith(" ") ? text.substring(1) : text;
    }

    private byte[] bytesOf(int id, boolean skipSpecial) {
        vocab.checkId(id);
        if (skipSpecial && (types[id] == CONTROL || types[id] == UNKNOWN)) return null;
        return tokenBytes[id];
    }

    @Override
    public boolean isSpecial(int id) {
        return types[id] == CONTROL || types[id] == UNKNOWN;
    }

    @Override
    public byte[] tokenBytes(int id) {
        return bytesOf(id, false).clone();
    }

    @Override
    public StreamingDecoder streamingDecoder(boolean skipSpecial) {
        return new StreamingDecoder(id -> bytesOf(id, skipSpecial), addSpacePrefix);
    }

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
        return specials;
    }

    @Override
    public String kind() {
        return "spm";
    }

    @Override
    public Map<String, Object> toGgufMetadata() {
        List<Float> scoreList = new ArrayList<>(scores.length);
        for (float f : scores) scoreList.add(f);
        List<Long> typeList = new ArrayList<>(types.length);
        for (int t : types) typeList.add((long) t);
        Map<String, Object> m = GgufTokenizer.commonKeys("llama", "default", List.of(tokens), typeList, specials,
                addBos, addEos);
        m.put("tokenizer.ggml.scores", scoreList);
        m.put("tokenizer.ggml.add_space_prefix", addSpacePrefix);
        return m;
    }
}
