package dev.slmops.model.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class StreamingDecoderTest {

    @Test
    void holdsBackHalfCharactersUntilComplete() {
        byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);    // 4 bytes, one token each
        StreamingDecoder d = new StreamingDecoder(id -> new byte[]{emoji[id]}, false);
        assertThat(d.next(0)).isEmpty();
        assertThat(d.next(1)).isEmpty();
        assertThat(d.next(2)).isEmpty();
        assertThat(d.next(3)).isEqualTo("😀");
    }

    @Test
    void qwen3StreamsCompleteCharactersOnly() {
        Tokenizer t = TestTokenizers.qwen3();
        String text = "Emoji 👨‍👩‍👧‍👦 and 中文 and ภาษาไทย 🇯🇵!";
        StreamingDecoder d = t.streamingDecoder();
        StringBuilder all = new StringBuilder();
        for (int id : t.encode(text)) {
            String piece = d.next(id);
            assertThat(piece).doesNotContain("\uFFFD");
            if (!piece.isEmpty()) {
                assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
            }
            all.append(piece);
        }
        assertThat(all.append(d.flush()).toString()).isEqualTo(text);
    }

    @Test
    void skipsSpecialTokensWhenAsked() {
        Tokenizer t = TestTokenizers.qwen3();
        int[] ids = t.encode("<|im_start|>user\nhi<|im_end|>");
        assertThat(t.decode(ids, true)).isEqualTo("user\nhi");
        assertThat(t.decode(ids, false)).isEqualTo("<|im_start|>user\nhi<|im_end|>");
        StreamingDecoder d = t.streamingDecoder(true);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(d.next(id));
        assertThat(sb.toString()).isEqualTo("user\nhi");
    }

    @Test
    void invalidBytesBecomeReplacementCharacters() {
        assertThat(StreamingDecoder.completePrefix(new byte[]{'a', (byte) 0xE4}, 2)).isEqualTo(1);
        assertThat(StreamingDecoder.completePrefix(new byte[]{'a', (byte) 0xE4, (byte) 0xB8}, 3)).isEqualTo(1);
        assertThat(StreamingDecoder.completePrefix(new byte[]{(byte) 0xE4, (byte) 0xB8, (byte) 0xAD}, 3)).isEqualTo(3);
        StreamingDecoder d = new StreamingDecoder(id -> new byte[]{(byte) 0xFF}, false);
        assertThat(d.next(0)).isEqualTo("\uFFFD");
    }
}
